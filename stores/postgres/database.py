"""The Postgres engine, owned by one object that is started and stopped with the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from core.errors import StoreUnavailable
from core.settings import Settings
from stores.connections import postgres_connect_args
from stores.errors import unavailable_on

UNREACHABLE = (OperationalError, InterfaceError, PoolTimeoutError, ConnectionError)
"""The server is down, restarting, or every pooled connection is busy."""


SERVER_AWAY = ("08", "57P")
"""SQLSTATE classes of a server that cannot serve now: connection exceptions, and a server
shutting down or starting up (57P01-57P03)."""


@contextmanager
def unreachable() -> Iterator[None]:
    """UNREACHABLE, and any driver error on a connection the server dropped, become
    StoreUnavailable. A server shutting down ends its sessions mid-statement
    (AdminShutdownError, "connection was closed in the middle of operation") and refuses
    new ones while it starts up (CannotConnectNowError): SQLAlchemy raises those as a bare
    DBAPIError, which answered 500 (make faults, postgres_down) where the server being away
    means 503."""
    with unavailable_on("postgres", UNREACHABLE):
        try:
            yield
        except DBAPIError as exc:
            sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
            if exc.connection_invalidated or sqlstate.startswith(SERVER_AWAY):
                raise StoreUnavailable("postgres", exc) from exc
            raise


Connection = AsyncConnection
"""A connection in a transaction, as repositories take it; callers need not know the driver."""


class Database:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._engine: AsyncEngine | None = None

    async def start(self) -> None:
        if self._engine is None:
            self._engine = create_async_engine(
                self._settings.postgres_dsn,
                connect_args=postgres_connect_args(self._settings),
                pool_size=self._settings.postgres_pool_size,
                max_overflow=self._settings.postgres_pool_size,
                # No pre-ping: on this path each checkout would cost three extra round
                # trips. A dead connection fails its statement instead, and both the
                # agents (retry) and the gateway (503) already handle that.
                pool_pre_ping=False,
                pool_recycle=1800,
            )

    async def stop(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("Database.start() was not called")
        return self._engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction that commits when the block ends without error."""
        with unreachable():
            async with self.engine.begin() as conn:
                yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        with unreachable():
            async with self.engine.connect() as conn:
                yield conn

    @asynccontextmanager
    async def lookup(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads that need no transaction around them: each statement sees
        what was committed when it began, as in `read()` (READ COMMITTED gives a transaction
        of several statements no common view either), without the BEGIN and ROLLBACK round
        trips `read()` spends. Not for a read that must hold a lock or an advisory lock
        (`hold_index_version`) for the statements after it."""
        async with self.autocommit() as conn:
            yield conn

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection on which each statement is a transaction of its own, committed when
        it returns: no BEGIN and COMMIT round trips around a statement that does all its
        work at once (stores/audit_appends.py)."""
        with unreachable():
            async with self.engine.connect() as conn:
                yield await conn.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that sees the database as it was at its first statement, however
        long it reads (an audit chain walked page by page, say)."""
        with unreachable():
            async with self.engine.connect() as conn:
                steady = await conn.execution_options(isolation_level="REPEATABLE READ")
                async with steady.begin():
                    yield steady

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.execute(text("SELECT 1"))
