"""Small real resume files made in memory for the tests, and hostile ones."""

from __future__ import annotations

import io
import zipfile
import zlib

from docx import Document

DOCX_BODY_OPEN = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body>"
)
DOCX_BODY_CLOSE = b"</w:body></w:document>"


def pdf_with_streams(streams: list[bytes], *, declared_pages: int | None = None) -> bytes:
    """A PDF of one page per content stream (text in Helvetica as F1).

    A stream starting with the zlib header is marked FlateDecode. `declared_pages` is what
    the page tree's /Count says (the truth by default).
    """
    pages = len(streams)
    font = 3
    first_page = font + 1
    first_stream = first_page + pages
    kids = b" ".join(f"{first_page + n} 0 R".encode() for n in range(pages))
    count = pages if declared_pages is None else declared_pages
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(count).encode() + b" >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    page = (
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>"
    )
    objects.extend(page.format(font=font, content=first_stream + n).encode() for n in range(pages))
    for stream in streams:
        flate = b" /Filter /FlateDecode" if stream[:1] == b"\x78" else b""
        objects.append(
            b"<< /Length "
            + str(len(stream)).encode()
            + flate
            + b" >>\nstream\n"
            + stream
            + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose content stream shows `text` in Helvetica."""
    return pdf_with_streams([f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()])


def pdf_with_pages(pages: int, *, declared_pages: int | None = None) -> bytes:
    """A PDF of `pages` pages, each saying a word."""
    return pdf_with_streams(
        [b"BT /F1 12 Tf 72 712 Td (page) Tj ET"] * pages, declared_pages=declared_pages
    )


def slow_pdf(pages: int = 40, pairs_per_page: int = 900_000) -> bytes:
    """Pages whose compressed content streams are each 1.8 million no-op operators.

    Some 200 KB that keep pypdf's text extraction busy for minutes (seconds a page here),
    each stream under pypdf's own work budget (2 million per stream) and the page count
    under RESUME_MAX_PDF_PAGES: only the CPU limit stops it.
    """
    stream = zlib.compress(b"q Q " * pairs_per_page, 9)
    return pdf_with_streams([stream] * pages)


def docx_with_text(*paragraphs: str) -> bytes:
    document = Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_with_layout() -> bytes:
    """A DOCX whose words sit in a table (one merged cell, one nested table), the page
    header, the footer and a second section's own header: where resumes keep theirs."""
    document = Document()
    document.add_paragraph("Profile: backend engineer")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "Skills"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "Kafka and Terraform"
    table.cell(1, 0).text = "2019-2024"
    table.cell(1, 1).add_table(rows=1, cols=1).cell(0, 0).text = "Nested golang"
    document.sections[0].header.paragraphs[0].text = "Ada Lovelace, ada@example.com"
    document.sections[0].footer.paragraphs[0].text = "References: Rust guild"
    second = document.add_section()
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "Page two header with Elixir"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _replaced(docx: bytes, parts: dict[str, bytes], *, extra: int = 0) -> bytes:
    """A DOCX with some parts replaced (deflated), and `extra` tiny parts added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item.filename, parts.get(item.filename, source.read(item)))
        for n in range(extra):
            target.writestr(f"extra/part{n}.xml", b"<x/>")
    return out.getvalue()


def docx_bomb(inflated_bytes: int = 60_000_000) -> bytes:
    """A DOCX whose word/document.xml inflates to `inflated_bytes` of paragraphs.

    Deflate packs that repetition about 1000:1: 60 MB of XML in some 180 KB.
    """
    paragraph = b"<w:p><w:r><w:t>Python Python Python</w:t></w:r></w:p>"
    body = paragraph * (inflated_bytes // len(paragraph))
    xml = DOCX_BODY_OPEN + body + DOCX_BODY_CLOSE
    return _replaced(docx_with_text("x"), {"word/document.xml": xml})


def docx_with_parts(extra: int) -> bytes:
    """A real DOCX with `extra` more (tiny) files in its zip."""
    return _replaced(docx_with_text("Python"), {}, extra=extra)
