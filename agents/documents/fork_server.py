"""The resume reader's fork server: one small process that forks a child per file.

Run by `ParseSandbox` (agents/documents/sandbox.py) as
`python -m agents.documents.fork_server MODULE:FUNCTION CONTROL_FD`. It imports the reader
function's module once (pypdf, python-docx, lxml) and calls the module's `warm_up()` if it
has one, says it is ready, then waits on its control socket, a private socketpair shared
with the worker alone. Each request carries two descriptors:
a socket to talk to the child and a pipe for the child's fate. The server forks, writes
the child's pid on the pipe, and when the child is gone its exit code, so the worker can
tell which limit ended it. The server exits when the worker closes the control socket
(or dies).

Why not multiprocessing's forkserver: Python 3.11's re-runs the parent's `__main__` in
every child, which for the worker is the `refactortrack` script and the whole app (half a
second, and before any limit is set).

The child: reads its request from the worker (trusted framing: the worker pickled it),
sets its limits (address space, CPU seconds, no core files, an alarm as a backstop), runs
the reader on the untrusted bytes, sends back ("ok", result) or ("refused", error), and
exits without running the server's cleanup.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import resource
import select
import signal
import socket
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from core.errors import InvalidCommand, RTError

# The child's exit code when the reader ran out of memory (MemoryError) and said so.
EXIT_OUT_OF_MEMORY = 86
# The child's exit code when it could not talk to the worker (the worker went away).
EXIT_NO_WORKER = 87
STATUS = struct.Struct("<i")
"""A pid, then an exit code (negative: the signal that ended the child)."""
REQUEST = b"fork"
READY = b"ready"


@dataclass(frozen=True, slots=True)
class ProcessLimits:
    """What one child may use; the defaults are those of `.env.example`."""

    cpu_seconds: int = 5
    memory_bytes: int = 512 * 1_048_576
    wall_seconds: float = 10.0


def load_function(ref: str) -> Callable[..., Any]:
    """`package.module:function` to the function."""
    module, _, name = ref.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def _lower_limit(which: int, soft: int, hard: int | None = None) -> None:
    """Set a limit no higher than the one inherited (raising it would be refused)."""
    _, inherited = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if inherited != resource.RLIM_INFINITY:
        soft, hard = min(soft, inherited), min(hard, inherited)
    resource.setrlimit(which, (soft, hard))


def limit_self(limits: ProcessLimits) -> None:
    # A SIGXCPU core of a 512 MiB process would be written to disk: no cores.
    _lower_limit(resource.RLIMIT_CORE, 0)
    _lower_limit(resource.RLIMIT_AS, limits.memory_bytes)
    # SIGXCPU (default action: terminate) at the soft limit, SIGKILL a second later.
    _lower_limit(resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 1)
    # The worker kills at the wall-clock limit; this ends a blocked child should the
    # worker be gone.
    signal.alarm(math.ceil(limits.wall_seconds) + 2)


def run_child(reader: Callable[..., Any], conn: Connection) -> int:
    """The child's whole life after the fork; returns its exit code."""
    try:
        limits, args = conn.recv()
    except (EOFError, OSError):
        return EXIT_NO_WORKER
    limit_self(limits)
    try:
        answer: tuple[str, Any] = ("ok", reader(*args))
    except MemoryError:
        # Reporting would need memory there may not be; the exit code says it.
        return EXIT_OUT_OF_MEMORY
    except RTError as error:
        answer = ("refused", error.as_dict())
    except Exception as exc:
        answer = ("refused", InvalidCommand(f"the file could not be read: {exc}").as_dict())
    try:
        conn.send(answer)
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except OSError:
        return EXIT_NO_WORKER
    return 0


def _fork_child(
    reader: Callable[..., Any], control: socket.socket, wakeup: int, data_fd: int
) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        # Nothing of the server's stays with the child: its death must read as EOF to
        # the worker, and the server's signal set-up is not the child's.
        control.close()
        os.close(wakeup)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        code = run_child(reader, Connection(data_fd))
    finally:
        os._exit(code)


def serve(reader_ref: str, control: socket.socket) -> None:
    reader = load_function(reader_ref)
    # What the reader builds on first use (compiled patterns, say) is built here once, so
    # every child is born with it instead of building it again.
    warm_up = getattr(sys.modules[reader.__module__], "warm_up", None)
    if callable(warm_up):
        warm_up()
    control.send(READY)
    # Ctrl-C in a terminal reaches the whole process group: the worker decides when to
    # stop, and its closing the control socket stops the server.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: dict[int, int] = {}  # pid -> the pipe its exit code goes to
    while True:
        ready, _, _ = select.select([control, wake_r], [], [])
        if wake_r in ready:
            os.read(wake_r, 512)
        if control in ready:
            message, fds, _, _ = socket.recv_fds(control, len(REQUEST), 2)
            if not message:
                return  # the worker closed the socket, or died
            data_fd, status_fd = fds
            try:
                pid = _fork_child(reader, control, wake_w, data_fd)
            except OSError:
                # Out of processes: closing both ends tells the worker it failed.
                os.close(data_fd)
                os.close(status_fd)
                continue
            os.close(data_fd)
            os.write(status_fd, STATUS.pack(pid))
            children[pid] = status_fd
        _reap(children)


def _reap(children: dict[int, int]) -> None:
    while children:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        status_fd = children.pop(pid, None)
        if status_fd is not None:
            with contextlib.suppress(OSError):  # the worker stopped waiting
                os.write(status_fd, STATUS.pack(os.waitstatus_to_exitcode(status)))
            os.close(status_fd)


def main() -> None:
    reader_ref, control_fd = sys.argv[1], int(sys.argv[2])
    serve(reader_ref, socket.socket(fileno=control_fd))


if __name__ == "__main__":
    main()
