"""A consumer of every topic whose name matches a pattern, topics made later included.

Faust subscribes to the topics it is given by name (its pattern subscription does not
work), but integrations' command topics are made while the worker runs. This consumer
asks the broker for new matching topics every few seconds, hands each batch of records
to its handler, and commits only after the handler returns: a crash redelivers, never
loses. With `delete_handled`, the topics are inboxes: once a batch is handled and
committed, its records are deleted from the broker (Kafka's DeleteRecords).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.errors import KafkaError

from core.settings import KafkaLogin, Settings
from stores.kafka_auth import client_options

log = logging.getLogger(__name__)

Record = tuple[str, bytes | None, bytes | None]
"""(topic, key, value)."""
Handler = Callable[[Sequence[Record]], Awaitable[None]]


class PatternConsumer:
    def __init__(
        self,
        settings: Settings,
        login: KafkaLogin,
        *,
        pattern: str,
        group_id: str,
        handler: Handler,
        refresh_seconds: float = 5.0,
        batch: int = 500,
        delete_handled: bool = False,
    ) -> None:
        self._settings = settings
        self._login = login
        self._pattern = pattern
        self._group_id = group_id
        self._handler = handler
        self._refresh_ms = int(refresh_seconds * 1000)
        self._batch = batch
        self._delete_handled = delete_handled
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"pattern:{self._group_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delay = 0.5
        while True:
            consumer = AIOKafkaConsumer(
                **client_options(self._settings, self._login),
                group_id=self._group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                metadata_max_age_ms=self._refresh_ms,
            )
            try:
                await consumer.start()
                consumer.subscribe(pattern=self._pattern)
                delay = 0.5
                while True:
                    found = await consumer.getmany(timeout_ms=500, max_records=self._batch)
                    records: list[ConsumerRecord[bytes, bytes]] = [
                        r for batch in found.values() for r in batch
                    ]
                    if not records:
                        continue
                    await self._handler([(r.topic, r.key, r.value) for r in records])
                    await consumer.commit()
                    if self._delete_handled:
                        await self._delete(found)
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:
                log.warning("%s: consumer failed (%r); starting again", self._group_id, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            except Exception:
                # The handler failed on this batch: nothing was committed, so it comes again.
                log.exception("%s: handling a batch failed; starting again", self._group_id)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _delete(
        self, found: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        """Delete what was handled; a failure is logged, and the next batch's deletion
        (which reaches back to the start of each partition) covers these records too."""
        upto = {
            tp: RecordsToDelete(before_offset=rs[-1].offset + 1) for tp, rs in found.items() if rs
        }
        admin = AIOKafkaAdminClient(**client_options(self._settings, self._login))
        try:
            await admin.start()
            await admin.delete_records(upto, timeout_ms=5000)
        except (KafkaError, OSError) as exc:
            log.warning("%s: deleting handled records failed (%r)", self._group_id, exc)
        finally:
            with contextlib.suppress(Exception):
                await admin.close()
