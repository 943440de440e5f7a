"""Text out of resumes: PDF (pypdf), DOCX (python-docx) and plain text, within limits.

Pure but not cheap: a file may be hostile, so the worker calls `read_resume` only in a
process of its own (agents/documents/sandbox.py).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from docx import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject

from core.errors import InvalidCommand, RTError
from domain.resume_files import DOCX, LABELS, PDF, TEXT, check_content, zip_directory
from domain.resume_limits import (
    ResumeLimits,
    TextBudget,
    check_pdf_pages,
    check_zip_entries,
    check_zip_members,
)
from domain.skills import extract_skills

DEFAULT_LIMITS = ResumeLimits()
# How much of a parser's own message a refusal quotes.
MAX_PARSER_WORDS = 300


@dataclass(frozen=True, slots=True)
class ParsedResume:
    text: str
    skills: list[str]
    """The vocabulary's skills the text mentions, canonical names (k8s is Kubernetes)."""


def read_resume(
    content: bytes, media_type: str, limits: ResumeLimits = DEFAULT_LIMITS
) -> ParsedResume:
    """Check the bytes are what they claim, then take out the text and its skills."""
    check_content(content, media_type, "the file")
    text = extract_text(content, media_type, limits)
    return ParsedResume(text, extract_skills(text))


def warm_up() -> None:
    """Read one small file of each kind, so that what the parsers and the skills build on
    first use (compiled patterns, lazily imported modules, caches) exists ahead of any file.

    The resume fork server calls it once, and every child it forks is born warm: a read
    then costs about half as much.
    """
    docx = io.BytesIO()
    blank = DocxDocument()
    blank.add_paragraph("Python")
    blank.save(docx)
    pdf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    writer.write(pdf)
    for content, media_type in ((docx.getvalue(), DOCX), (pdf.getvalue(), PDF), (b"Go", TEXT)):
        read_resume(content, media_type)


def extract_text(content: bytes, media_type: str, limits: ResumeLimits = DEFAULT_LIMITS) -> str:
    """The document's text; raises InvalidCommand when it cannot or may not be read."""
    budget = TextBudget(limits)
    try:
        if media_type == PDF:
            _pdf_text(content, limits, budget)
        elif media_type == DOCX:
            _docx_text(content, limits, budget)
        elif media_type == TEXT:
            budget.add(content.decode("utf-8-sig"))
        else:
            raise InvalidCommand(f"unsupported document type {media_type}", field="file")
    except (RTError, MemoryError):
        # A limit's own refusal says what was too big; running out of memory is the
        # sandbox's to report (it knows the limit).
        raise
    # The parsers raise many kinds of errors on a damaged or mislabelled file; each is
    # the caller's file to fix, not a failure of ours.
    except Exception as exc:
        label = LABELS.get(media_type, media_type)
        said = str(exc)[:MAX_PARSER_WORDS]
        message = f"the file could not be read as {label}: {said}"
        raise InvalidCommand(message, field="file") from None
    return budget.text()


def _pdf_text(content: bytes, limits: ResumeLimits, budget: TextBudget) -> None:
    reader = PdfReader(io.BytesIO(content))
    # The page tree's own count first: refusing a 100,000-page file should not need
    # walking its tree (the count may lie, so the walked length is checked too).
    tree = reader.root_object["/Pages"].get_object()
    declared = tree.get("/Count") if isinstance(tree, DictionaryObject) else None
    if isinstance(declared, int):
        check_pdf_pages(declared, limits)
    check_pdf_pages(len(reader.pages), limits)
    for page in reader.pages:
        budget.add(page.extract_text() or "")


def _docx_text(content: bytes, limits: ResumeLimits, budget: TextBudget) -> None:
    directory = zip_directory(content)
    if directory is None:
        raise InvalidCommand(
            "the file could not be read as a Word document (DOCX): it is a truncated or "
            "damaged zip archive",
            field="file",
        )
    check_zip_entries(directory.entries, limits)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        check_zip_members(archive.infolist(), limits)
    document = DocxDocument(io.BytesIO(content))
    # Resumes put a good part of their words in tables (skills grids, dates beside
    # employers) and the name and contact line in the page header: the body is read in
    # its own order, paragraphs and tables alike, then each section's headers and footers.
    _docx_blocks(document.iter_inner_content(), budget)
    for section in document.sections:
        for part in (
            section.header,
            section.first_page_header,
            section.even_page_header,
            section.footer,
            section.first_page_footer,
            section.even_page_footer,
        ):
            # A part linked to the previous section's is that one again: read once.
            if not part.is_linked_to_previous:
                _docx_blocks(part.iter_inner_content(), budget)


def _docx_blocks(blocks: Iterator[Paragraph | Table], budget: TextBudget) -> None:
    """Paragraphs' text, and each table's cells row by row, tables within cells too."""
    for block in blocks:
        if isinstance(block, Paragraph):
            if block.text:
                budget.add(block.text)
            continue
        # A merged cell is answered once for each grid cell it spans: read it once. (The
        # cells' XML elements are kept, not their ids: lxml's proxies come and go.)
        seen: list[object] = []
        for row in block.rows:
            for cell in row.cells:
                if any(cell._tc is done for done in seen):
                    continue
                seen.append(cell._tc)
                _docx_blocks(cell.iter_inner_content(), budget)
