"""Text out of resumes: PDF (pypdf), DOCX (python-docx) and plain text."""

from __future__ import annotations

import io

from docx import Document as DocxDocument
from pypdf import PdfReader

from core.errors import InvalidCommand

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
MEDIA_TYPES_BY_EXTENSION = {".pdf": PDF, ".docx": DOCX, ".txt": TEXT}
MAX_TEXT_CHARS = 200_000


def media_type_for(filename: str, declared: str | None) -> str | None:
    """The supported type a file is, by its extension first; None when unsupported."""
    lower = filename.lower()
    for extension, media_type in MEDIA_TYPES_BY_EXTENSION.items():
        if lower.endswith(extension):
            return media_type
    base = (declared or "").split(";")[0].strip().lower()
    return base if base in MEDIA_TYPES_BY_EXTENSION.values() else None


def extract_text(content: bytes, media_type: str) -> str:
    """The document's text; raises InvalidCommand when the file is not what it claims."""
    try:
        if media_type == PDF:
            reader = PdfReader(io.BytesIO(content))
            text = "\n".join(page.extract_text() or "" for page in reader.pages)
        elif media_type == DOCX:
            document = DocxDocument(io.BytesIO(content))
            text = "\n".join(p.text for p in document.paragraphs)
        elif media_type == TEXT:
            try:
                text = content.decode("utf-8")
            except UnicodeDecodeError:
                text = content.decode("latin-1")
        else:
            raise InvalidCommand(f"unsupported document type {media_type}", field="file")
    # The parsers raise many kinds of errors on a damaged or mislabelled file; each is
    # the caller's file to fix, not a failure of ours.
    except Exception as exc:
        raise InvalidCommand(
            f"the file could not be read as {media_type}: {exc}", field="file"
        ) from None
    return text[:MAX_TEXT_CHARS]
