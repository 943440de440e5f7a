"""The resume sandbox: each read in a child process with limits; a broken limit is a refusal.

No servers needed, but real processes: the fork server and its children. The hostile
readers (tests/hostile_readers.py) misbehave the ways a parser can on a hostile file.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time
from collections.abc import Iterator

import pytest

from agents.documents.fork_server import ProcessLimits
from agents.documents.sandbox import ParseSandbox
from core.errors import InvalidCommand, RTError
from domain.resume_files import DOCX, PDF, TEXT
from domain.resume_limits import MIB, ResumeLimits
from tests.resumes import docx_bomb, docx_with_text, pdf_with_text, slow_pdf

TIGHT = ProcessLimits(cpu_seconds=1, memory_bytes=256 * MIB, wall_seconds=3)


@pytest.fixture(scope="module")
def reading() -> Iterator[ParseSandbox]:
    """The real reader."""
    made = ParseSandbox(TIGHT, ResumeLimits())
    made.start()
    yield made
    made.stop()


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[ParseSandbox]:
    made = ParseSandbox(TIGHT, ResumeLimits(), reader="tests.hostile_readers:misbehave")
    made.start()
    yield made
    made.stop()


@pytest.fixture
def hostile(hostile_server: ParseSandbox) -> Iterator[ParseSandbox]:
    """A reader that does what the content says (tests/hostile_readers.py), limits reset."""
    hostile_server.process = TIGHT
    yield hostile_server
    hostile_server.process = TIGHT


async def refused(sandbox: ParseSandbox, content: bytes, media_type: str) -> InvalidCommand:
    with pytest.raises(RTError) as caught:
        await sandbox.read(content, media_type)
    assert isinstance(caught.value, InvalidCommand)
    assert caught.value.status == 422
    return caught.value


async def test_resumes_are_read_in_the_sandbox(reading: ParseSandbox) -> None:
    docx = await reading.read(docx_with_text("Staff engineer", "golang, k8s"), DOCX)
    assert docx.text == "Staff engineer\ngolang, k8s"
    assert docx.skills == ["Go", "Kubernetes"]
    pdf = await reading.read(pdf_with_text("Kafka and Python"), PDF)
    assert pdf.skills == ["Python", "Kafka"]
    assert (await reading.read(b"React", TEXT)).skills == ["React"]


async def test_the_docx_bomb_is_refused_in_the_sandbox(reading: ParseSandbox) -> None:
    error = await refused(reading, docx_bomb(), DOCX)
    # Refused for its ratio, read from the zip directory: nothing was inflated.
    assert error.extra["limit"] == "compression_ratio"


async def test_a_pdf_that_never_finishes_is_stopped_by_the_cpu_limit(
    reading: ParseSandbox,
) -> None:
    started = time.monotonic()
    error = await refused(reading, slow_pdf(), PDF)
    # The CPU limit (1 s) ends it; on a machine too busy to give it that much CPU within
    # the wall-clock limit (3 s), the wall clock does.
    assert error.extra["limit"] in ("cpu_seconds", "wall_seconds")
    assert time.monotonic() - started < TIGHT.wall_seconds + 3
    # The next read works: a new child.
    assert (await reading.read(b"Go", TEXT)).skills == ["Go"]


async def test_a_sniffed_mismatch_is_refused_by_the_reader_too(reading: ParseSandbox) -> None:
    # A command from an integration never went through the gateway's sniffing.
    error = await refused(reading, b"this is no pdf", PDF)
    assert "could not be read as a PDF" in error.message
    with pytest.raises(RTError) as caught:
        await reading.read(os.urandom(16) + b"\x00", PDF)
    assert caught.value.status == 415


async def test_each_read_is_a_new_process(hostile: ParseSandbox) -> None:
    pids = {(await hostile.read(b"hello", TEXT)).skills[0] for _ in range(5)}
    assert len(pids) == 5
    assert str(os.getpid()) not in pids


async def test_running_out_of_memory_is_a_refusal_and_the_next_read_works(
    hostile: ParseSandbox,
) -> None:
    error = await refused(hostile, b"hog memory", TEXT)
    assert error.extra["limit"] == "memory_bytes"
    assert "more than 256 MiB of memory" in error.message
    assert (await hostile.read(b"next", TEXT)).text == "next"


async def test_burning_cpu_is_a_refusal(hostile: ParseSandbox) -> None:
    hostile.process = dataclasses.replace(TIGHT, wall_seconds=20)
    started = time.monotonic()
    error = await refused(hostile, b"spin", TEXT)
    assert error.extra["limit"] == "cpu_seconds"
    assert "more than 1 s of CPU" in error.message
    assert time.monotonic() - started < 20
    assert (await hostile.read(b"next", TEXT)).text == "next"


async def test_blocking_is_stopped_by_the_wall_clock(hostile: ParseSandbox) -> None:
    hostile.process = dataclasses.replace(TIGHT, wall_seconds=1)
    started = time.monotonic()
    error = await refused(hostile, b"sleep", TEXT)
    assert error.extra["limit"] == "wall_seconds"
    assert "longer than 1 s" in error.message
    assert time.monotonic() - started < 5
    assert (await hostile.read(b"next", TEXT)).text == "next"


async def test_a_crashing_parser_is_a_refusal(hostile: ParseSandbox) -> None:
    error = await refused(hostile, b"crash", TEXT)
    assert "SIGSEGV" in error.message
    assert (await hostile.read(b"next", TEXT)).text == "next"


async def test_a_slow_read_holds_up_no_other(hostile: ParseSandbox) -> None:
    hostile.process = dataclasses.replace(TIGHT, wall_seconds=2)
    slow = asyncio.create_task(hostile.read(b"sleep", TEXT))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    for _ in range(5):
        assert (await hostile.read(b"quick", TEXT)).text == "quick"
    assert time.monotonic() - started < 2
    assert not slow.done()
    with pytest.raises(InvalidCommand):
        await slow


async def test_a_dead_fork_server_is_replaced(hostile: ParseSandbox) -> None:
    assert (await hostile.read(b"one", TEXT)).text == "one"
    server = hostile.server_pid
    assert server is not None
    os.kill(server, signal.SIGKILL)
    await asyncio.sleep(0.2)
    assert (await hostile.read(b"two", TEXT)).text == "two"
    assert hostile.server_pid not in (None, server)
