"""What a resume file is, told from its bytes: PDF, DOCX, plain text, or none of them.

The gateway asks before it accepts an upload, and the resume reader asks again (a command
may come from an integration that never went through the gateway). Only cheap checks live
here: the magic bytes, the zip's end record and central directory read as bytes (nothing
inflated, no zip entry parsed), and a UTF-8 decode.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from core.errors import InvalidCommand, UnsupportedMediaType

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
MEDIA_TYPES_BY_EXTENSION = {".pdf": PDF, ".docx": DOCX, ".txt": TEXT}
LABELS = {PDF: "a PDF", DOCX: "a Word document (DOCX)", TEXT: "plain text"}
NOUNS = {PDF: "PDF", DOCX: "DOCX", TEXT: "text"}

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
ZIP_END = b"PK\x05\x06"
ZIP_CENTRAL_ENTRY = b"PK\x01\x02"
# The end record: signature, disk numbers, entry counts, directory size and offset, and
# the length of a trailing comment of at most 65,535 bytes.
ZIP_END_RECORD = struct.Struct("<4s4H2LH")
ZIP_END_SEARCH = ZIP_END_RECORD.size + 0xFFFF
# Zip64 puts these in the classic end record; no resume needs 65,535 entries or 4 GiB.
ZIP64_MARKERS = (0xFFFF, 0xFFFFFFFF)
DOCX_MAIN_PART = b"word/document.xml"


def media_type_for(filename: str, declared: str | None) -> str | None:
    """The supported type a file claims to be, by its extension first; None when unsupported."""
    lower = filename.lower()
    for extension, media_type in MEDIA_TYPES_BY_EXTENSION.items():
        if lower.endswith(extension):
            return media_type
    base = (declared or "").split(";")[0].strip().lower()
    return base if base in MEDIA_TYPES_BY_EXTENSION.values() else None


@dataclass(frozen=True, slots=True)
class ZipDirectory:
    """A zip's central directory as its end record places it, read without parsing entries."""

    entries: int
    raw: bytes


def zip_directory(content: bytes) -> ZipDirectory | None:
    """The central directory of a classic zip; None when truncated, damaged or zip64."""
    end = content.rfind(ZIP_END, max(0, len(content) - ZIP_END_SEARCH))
    if end < 0 or end + ZIP_END_RECORD.size > len(content):
        return None
    _, _, _, _, entries, size, offset, _ = ZIP_END_RECORD.unpack_from(content, end)
    if entries in ZIP64_MARKERS or size in ZIP64_MARKERS or offset in ZIP64_MARKERS:
        return None
    if offset + size > end:
        return None  # the directory would overlap its own end record: cut short
    raw = content[offset : offset + size]
    if entries and not raw.startswith(ZIP_CENTRAL_ENTRY):
        return None
    return ZipDirectory(entries, raw)


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the bytes are, and how to say it to the person who sent them.

    `media_type` is None when they are none of the three; `damaged` then names the type
    they are a broken copy of, if any (a cut-off zip, text in another encoding).
    """

    media_type: str | None
    description: str
    damaged: str | None = None


def sniff(content: bytes) -> Sniffed:
    if content.startswith(PDF_MAGIC):
        return Sniffed(PDF, LABELS[PDF])
    if content.startswith(ZIP_MAGIC):
        directory = zip_directory(content)
        if directory is None:
            return Sniffed(None, "a truncated or damaged zip archive", damaged=DOCX)
        if DOCX_MAIN_PART not in directory.raw:
            return Sniffed(None, "a zip archive without word/document.xml")
        return Sniffed(DOCX, LABELS[DOCX])
    # NUL is valid UTF-8 but never in text a person wrote; it marks a binary file.
    if b"\x00" in content:
        return Sniffed(None, "binary data")
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Sniffed(
            None, f"not UTF-8 text (an invalid byte at offset {exc.start})", damaged=TEXT
        )
    return Sniffed(TEXT, LABELS[TEXT])


def check_content(content: bytes, claimed: str, filename: str) -> None:
    """Refuse a file whose bytes are not what its name or type claims.

    Raises UnsupportedMediaType (415) when the content is none of PDF, DOCX or UTF-8 text,
    and InvalidCommand (422) when it is empty, a damaged copy of the claimed type, or
    another of the three.
    """
    if claimed not in LABELS:
        raise UnsupportedMediaType(
            f"{filename} is sent as {claimed!r}; resumes are read as {', '.join(LABELS)}.",
            field="file",
        )
    expected = LABELS[claimed]
    if not content:
        raise InvalidCommand(f"{filename} is empty; upload the resume itself.", field="file")
    found = sniff(content)
    if found.media_type == claimed:
        return
    if found.damaged == claimed:
        fix = "save it as UTF-8" if claimed == TEXT else "save it again"
        raise InvalidCommand(
            f"{filename} could not be read as {expected}: it is {found.description}; "
            f"{fix} and upload the new file.",
            field="file",
        )
    if found.media_type is None:
        raise UnsupportedMediaType(
            f"{filename} is not a PDF, DOCX or TXT file: its content is {found.description}. "
            "Upload a resume in one of those formats (text as UTF-8).",
            field="file",
        )
    extension = next(e for e, t in MEDIA_TYPES_BY_EXTENSION.items() if t == found.media_type)
    raise InvalidCommand(
        f"{filename} could not be read as {expected}: its content is {found.description}. "
        f"Name it with {extension}, or upload the {NOUNS[claimed]} itself.",
        field="file",
    )
