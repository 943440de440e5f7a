"""A reader that misbehaves on purpose, run by the resume sandbox in its children (tests).

It has the reader's signature, `(content, media_type, limits) -> ParsedResume`, is named
to the sandbox as `tests.hostile_readers:misbehave`, and does what the content says: the
ways a parser can go wrong on a hostile file, and one way to go right.
"""

from __future__ import annotations

import os
import signal
import time

from domain.resume_limits import ResumeLimits
from domain.resume_text import ParsedResume


def misbehave(content: bytes, media_type: str, limits: ResumeLimits) -> ParsedResume:
    if content == b"hog memory":
        hoard = []
        while True:  # until the address-space limit says no
            hoard.append(bytearray(64 * 1_048_576))
    if content == b"spin":
        n = 0
        while True:  # until the CPU limit
            n += 1
    if content == b"sleep":
        time.sleep(3600)  # blocked, no CPU used: only the wall clock ends it
    if content == b"crash":
        os.kill(os.getpid(), signal.SIGSEGV)  # as a parser's C code on a bad pointer
    # Well behaved: the content as text, and who read it (each read is a new process).
    return ParsedResume(content.decode(), [str(os.getpid())])
