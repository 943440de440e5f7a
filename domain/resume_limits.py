"""How much of a resume is read: the caps that turn a hostile file into a refusal.

These are checked on the file's structure before anything is inflated or parsed (the zip
directory, the PDF's page count) and on the text as it comes out. The process that reads
the file has CPU, memory and wall-clock limits of its own (agents/documents/sandbox.py),
for what no structural check can foresee.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zipfile import ZipInfo

from core.errors import InvalidCommand

MIB = 1_048_576
# A zip entry this small cannot be a bomb whatever its ratio (a nearly empty part
# compresses 200:1), so the ratio is only asked of bigger ones.
RATIO_FLOOR_BYTES = MIB


@dataclass(frozen=True, slots=True)
class ResumeLimits:
    """The defaults are those of `.env.example` (RESUME_MAX_*)."""

    max_pdf_pages: int = 50
    max_inflated_bytes: int = 20 * MIB
    max_zip_entries: int = 500
    max_compression_ratio: int = 100
    max_text_chars: int = 200_000


def refusal(message: str, limit: str) -> InvalidCommand:
    """A file refused for breaking a limit; `limit` names which, for machines."""
    return InvalidCommand(message, field="file", limit=limit)


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def check_zip_entries(entries: int, limits: ResumeLimits) -> None:
    """Asked of the zip's end record, before the directory's entries are even parsed."""
    if entries > limits.max_zip_entries:
        raise refusal(
            f"the DOCX holds {entries} files; a resume holds at most {limits.max_zip_entries}.",
            "zip_entries",
        )


def check_zip_members(members: Iterable[ZipInfo], limits: ResumeLimits) -> None:
    """Sizes and ratios as the zip directory declares them, before anything is inflated.

    Reading an entry never yields more than its declared size (a zip that lies about it
    fails its CRC check), so the declared sizes bound what the parser will hold.
    """
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
            raise refusal(
                f"{member.filename} in the DOCX is compressed {ratio:.0f}:1 "
                f"({_mib(member.compress_size)} inflating to {_mib(member.file_size)}); "
                f"a resume is compressed at most {limits.max_compression_ratio}:1.",
                "compression_ratio",
            )
    if total > limits.max_inflated_bytes:
        raise refusal(
            f"the DOCX inflates to {_mib(total)}; a resume inflates to at most "
            f"{_mib(limits.max_inflated_bytes)}.",
            "inflated_bytes",
        )


def check_pdf_pages(pages: int, limits: ResumeLimits) -> None:
    if pages > limits.max_pdf_pages:
        raise refusal(
            f"the PDF has {pages} pages; resumes of at most {limits.max_pdf_pages} pages are read.",
            "pdf_pages",
        )


class TextBudget:
    """Collects the text piece by piece and refuses it as soon as it is too long.

    Checked as it grows, so a file with endless text stops being read at the cap rather
    than after all of it is in memory.
    """

    def __init__(self, limits: ResumeLimits) -> None:
        self._max = limits.max_text_chars
        self._parts: list[str] = []
        self._chars = 0

    def add(self, part: str) -> None:
        self._chars += len(part) + (1 if self._parts else 0)
        if self._chars > self._max:
            raise refusal(
                f"the text is longer than {self._max:,} characters; that is not a resume.",
                "text_chars",
            )
        self._parts.append(part)

    def text(self) -> str:
        return "\n".join(self._parts)
