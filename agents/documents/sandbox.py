"""Reading a resume in a process of its own, with CPU, memory and wall-clock limits.

A file is untrusted input to two large parsers (pypdf, python-docx with lxml): whatever it
makes them do (inflate, loop, allocate, crash) must cost one child process, never the
worker. Each read runs in a fresh process forked from a small fork server that has the
parsers already imported (agents/documents/fork_server.py): 15 to 30 ms of overhead a
read on a shared two-core machine, against 0.75 to 1.5 s for a fresh interpreter that
imports them. A reused pool was measured too (0.2 ms a task) and not taken: RLIMIT_CPU
counts a process's whole life, so only a fresh process gives every file the same CPU
budget; memory a parse leaks would stay; and concurrent.futures breaks the whole pool for
good when one of its processes is killed, which is exactly what a limit does.

The worker waits for each child in a thread of the sandbox's own, up to the wall-clock
limit, then kills it. How the child ended says which limit the file broke; every such end
is a refusal of the file (InvalidCommand), and the next read gets a new process. A fork
server that died is started again on the next read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from agents.documents.fork_server import (
    EXIT_OUT_OF_MEMORY,
    READY,
    REQUEST,
    STATUS,
    ProcessLimits,
)
from core.errors import InvalidCommand, RTError, UnsupportedMediaType, error_from_dict
from core.settings import Settings
from domain.resume_limits import MIB, ResumeLimits, refusal
from domain.resume_text import ParsedResume

log = logging.getLogger(__name__)

READER = "domain.resume_text:read_resume"
# How long the fork server may take to answer a request with the child's pid, and a
# child that has answered to exit, before they are taken for dead.
FORK_SECONDS = 10.0
EXIT_GRACE_SECONDS = 2.0
# How long a new fork server may take to import the parsers and say it is ready.
START_SECONDS = 60.0
REFUSALS: dict[str, type[RTError]] = {
    InvalidCommand.code: InvalidCommand,
    UnsupportedMediaType.code: UnsupportedMediaType,
}


class ForkServerGone(Exception):
    """The fork server did not take the request (it died, or cannot fork): not the file's fault."""

    def __init__(self, message: str, server: object) -> None:
        super().__init__(message)
        self.server = server


@dataclass(frozen=True, slots=True)
class ChildEnd:
    """How a child ended: its answer (None if it died without one), exit code, whether killed."""

    answer: tuple[str, Any] | None
    exitcode: int | None
    timed_out: bool


class ParseSandbox:
    """Reads resumes in child processes, at most `concurrency` at a time.

    `reader` is `module:function`, called in the child as `function(content, media_type,
    limits)`; the tests give hostile ones.
    """

    def __init__(
        self,
        process: ProcessLimits,
        limits: ResumeLimits,
        *,
        concurrency: int = 2,
        reader: str = READER,
    ) -> None:
        self.process = process
        self.limits = limits
        self._concurrency = concurrency
        self._reader = reader
        self._lock = threading.Lock()
        self._server: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._threads: ThreadPoolExecutor | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ParseSandbox:
        return cls(
            ProcessLimits(
                cpu_seconds=settings.resume_parse_cpu_seconds,
                memory_bytes=settings.resume_parse_memory_bytes,
                wall_seconds=settings.resume_parse_timeout_seconds,
            ),
            ResumeLimits(
                max_pdf_pages=settings.resume_max_pdf_pages,
                max_inflated_bytes=settings.resume_max_inflated_bytes,
                max_zip_entries=settings.resume_max_zip_entries,
                max_compression_ratio=settings.resume_max_compression_ratio,
                max_text_chars=settings.resume_max_text_chars,
            ),
            concurrency=settings.resume_parse_concurrency,
        )

    @property
    def server_pid(self) -> int | None:
        """The fork server's pid while one runs (for operators, and the tests)."""
        server = self._server
        return server.pid if server is not None and server.poll() is None else None

    def start(self) -> None:
        """Start the fork server (a second or so: it imports the parsers). Blocking.

        Optional: the first read starts it otherwise.
        """
        with self._lock:
            self._ensure_server()

    def stop(self) -> None:
        with self._lock:
            self._stop_server()
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None

    async def read(self, content: bytes, media_type: str) -> ParsedResume:
        """The file's text and skills; InvalidCommand when it breaks a limit or cannot be read.

        Any other exception (the fork server cannot fork) is ours, not the file's: the
        caller retries it.
        """
        if self._threads is None:
            # Waiting on a child blocks a thread for up to the wall-clock limit: these
            # threads are the sandbox's own, one per read at a time, never the loop's.
            self._threads = ThreadPoolExecutor(self._concurrency, thread_name_prefix="resume")
        loop = asyncio.get_running_loop()
        end = await loop.run_in_executor(self._threads, self._read_blocking, content, media_type)
        return self._verdict(end)

    def _read_blocking(self, content: bytes, media_type: str) -> ChildEnd:
        try:
            return self._run_child(content, media_type)
        except ForkServerGone as gone:
            # Once more with a new server: a server that died must not fail the file.
            log.warning("the resume fork server is gone (%s); starting another", gone)
            with self._lock:
                if self._server is gone.server:
                    self._stop_server()
            return self._run_child(content, media_type)

    def _ensure_server(self) -> socket.socket:
        """The control socket of a running fork server; starts one if needed (under the lock)."""
        if self._server is not None and self._server.poll() is None and self._control:
            return self._control
        self._stop_server()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "agents.documents.fork_server",
                    self._reader,
                    str(theirs.fileno()),
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self._control = ours
        ours.settimeout(START_SECONDS)
        try:
            ready = ours.recv(len(READY))
        except OSError as exc:
            ready = repr(exc).encode()
        finally:
            ours.settimeout(None)
        if ready != READY:
            self._stop_server()
            raise ForkServerGone(f"the fork server did not start ({ready!r})", None)
        return ours

    def _stop_server(self) -> None:
        if self._control is not None:
            self._control.close()  # the server exits on end of file
            self._control = None
        if self._server is not None:
            try:
                self._server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
            self._server = None

    def _fork(self, child_end: socket.socket, status_w: int) -> object:
        """Ask the fork server for a child; returns the server asked (to know if it died)."""
        with self._lock:
            control = self._ensure_server()
            server = self._server
        try:
            socket.send_fds(control, [REQUEST], [child_end.fileno(), status_w])
        except OSError as exc:
            raise ForkServerGone(f"the request could not be sent: {exc}", server) from exc
        return server

    def _run_child(self, content: bytes, media_type: str) -> ChildEnd:
        """Blocking: fork a child, send it the file, wait for its answer and its end."""
        ours, child_end = socket.socketpair()
        status_r, status_w = os.pipe()
        try:
            try:
                server = self._fork(child_end, status_w)
            finally:
                # The child's copies are the only ones left: its death reads as end of file.
                child_end.close()
                os.close(status_w)
            pid = _read_status(status_r, FORK_SECONDS)
            if pid is None:
                raise ForkServerGone("no child was forked", server)
            with _Child(pid) as child, Connection(ours.detach()) as conn:
                return self._talk(conn, child, status_r, content, media_type)
        finally:
            ours.close()
            os.close(status_r)

    def _talk(
        self, conn: Connection, child: _Child, status_r: int, content: bytes, media_type: str
    ) -> ChildEnd:
        answer: tuple[str, Any] | None = None
        timed_out = False
        try:
            conn.send((self.process, (content, media_type, self.limits)))
            if conn.poll(self.process.wall_seconds):
                answer = conn.recv()
            else:
                timed_out = True
        except (EOFError, OSError):
            answer = None  # the child died before it read the file or while it answered
        if timed_out:
            child.kill()
        exitcode = _read_status(status_r, EXIT_GRACE_SECONDS)
        if exitcode is None:
            # Answered but lingering: no child outlives its read.
            child.kill()
            exitcode = _read_status(status_r, FORK_SECONDS)
        return ChildEnd(answer, exitcode, timed_out)

    def _verdict(self, end: ChildEnd) -> ParsedResume:
        if end.answer is not None:
            kind, body = end.answer
            if kind == "ok" and isinstance(body, ParsedResume):
                return body
            raise _rebuilt(body)
        raise self._refusal_for(end)

    def _refusal_for(self, end: ChildEnd) -> InvalidCommand:
        """The limit a child that died without answering broke, from how it ended."""
        wall = self.process.wall_seconds
        if end.timed_out or end.exitcode == -signal.SIGALRM:
            return refusal(
                f"reading the file took longer than {wall:g} s; it was stopped.", "wall_seconds"
            )
        if end.exitcode == EXIT_OUT_OF_MEMORY:
            return refusal(
                f"reading the file needed more than {self.process.memory_bytes // MIB} MiB "
                "of memory; it was stopped.",
                "memory_bytes",
            )
        if end.exitcode in (-signal.SIGXCPU, -signal.SIGKILL):
            return refusal(
                f"reading the file took more than {self.process.cpu_seconds} s of CPU; "
                "it was stopped.",
                "cpu_seconds",
            )
        # A parser that crashes (SIGSEGV, SIGABRT) on a file: lxml and zlib under the
        # memory limit may, and it is still the file that made them.
        return InvalidCommand(
            f"the file could not be read: the reader stopped on it ({_describe(end.exitcode)}).",
            field="file",
        )


def _rebuilt(said: dict[str, Any]) -> RTError:
    """The child's refusal as the error it raised (InvalidCommand, UnsupportedMediaType)."""
    kind = REFUSALS.get(str(said.get("code")))
    if kind is None:
        return error_from_dict(said)
    extra = {k: v for k, v in said.items() if k not in ("code", "message", "status", "title")}
    return kind(str(said.get("message", "")), **extra)


def _read_status(fd: int, timeout: float) -> int | None:
    """The next int the fork server writes on a child's status pipe; None on timeout or EOF."""
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return None
    data = os.read(fd, STATUS.size)
    if len(data) < STATUS.size:
        return None
    (value,) = STATUS.unpack(data)
    return int(value)


class _Child:
    """A child of the fork server, killed through a pidfd where there is one.

    The fork server reaps its children, so by the time we kill, the pid could name another
    process; a pidfd opened while the child lived names that child alone.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._pidfd: int | None = None
        if hasattr(os, "pidfd_open"):
            try:
                self._pidfd = os.pidfd_open(pid)
            except ProcessLookupError:
                self._pidfd = None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            else:
                os.kill(self.pid, signal.SIGKILL)

    def __enter__(self) -> _Child:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)


def _describe(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"signal {signal.Signals(-exitcode).name}"
    return f"exit code {exitcode}"
