"""What a file is, from its first bytes: the gateway's check before it accepts an upload."""

from __future__ import annotations

import io
import os
import random
import zipfile

import pytest

from core.errors import InvalidCommand, RTError, UnsupportedMediaType
from domain.resume_files import DOCX, PDF, TEXT, check_content, sniff, zip_directory
from tests.resumes import docx_bomb, docx_with_text, pdf_with_text


def refused(content: bytes, claimed: str, filename: str = "cv") -> RTError:
    with pytest.raises(RTError) as caught:
        check_content(content, claimed, filename)
    return caught.value


def random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def test_each_kind_is_told_by_its_content() -> None:
    assert sniff(pdf_with_text("Python")).media_type == PDF
    assert sniff(docx_with_text("Python")).media_type == DOCX
    assert sniff("Caf\u00e9, Python".encode()).media_type == TEXT
    # The bomb is a well-formed DOCX: sniffing reads its directory, never its contents.
    assert sniff(docx_bomb()).media_type == DOCX
    check_content(pdf_with_text("Python"), PDF, "cv.pdf")
    check_content(docx_with_text("Python"), DOCX, "cv.docx")
    check_content(b"Python and Go", TEXT, "cv.txt")


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_are_none_of_the_three(seed: int) -> None:
    junk = random_bytes(4096, seed)
    for claimed in (PDF, DOCX, TEXT):
        error = refused(junk, claimed, "cv")
        assert isinstance(error, UnsupportedMediaType)
        assert error.status == 415
        assert "not a PDF, DOCX or TXT file" in error.message


def test_a_file_that_is_another_kind_than_it_claims_is_422() -> None:
    error = refused(b"this is no pdf", PDF, "cv.pdf")
    assert isinstance(error, InvalidCommand)
    assert error.status == 422
    assert "could not be read as a PDF: its content is plain text" in error.message
    assert "Name it with .txt" in error.message
    assert refused(pdf_with_text("x"), DOCX, "cv.docx").status == 422
    assert refused(docx_with_text("x"), TEXT, "cv.txt").status == 422
    assert refused(b"plain words", DOCX, "cv.docx").status == 422


def test_a_truncated_zip_is_a_damaged_docx() -> None:
    whole = docx_with_text("Senior engineer")
    for cut in (len(whole) // 2, len(whole) - 10, 30):
        error = refused(whole[:cut], DOCX, "cv.docx")
        assert error.status == 422
        assert "truncated or damaged zip" in error.message
        assert zip_directory(whole[:cut]) is None
    assert zip_directory(whole) is not None


def test_a_zip_that_is_no_word_document_is_415() -> None:
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    error = refused(other.getvalue(), DOCX, "sheet.docx")
    assert error.status == 415
    assert "without word/document.xml" in error.message


def test_text_must_be_utf8_without_nul() -> None:
    latin = refused("Caf\u00e9 cr\u00e8me".encode("latin-1"), TEXT, "cv.txt")
    assert latin.status == 422
    assert "not UTF-8" in latin.message
    assert "save it as UTF-8" in latin.message
    assert refused(b"Python\x00\x00\x00", TEXT, "cv.txt").status == 415
    check_content("\ufeffPython".encode(), TEXT, "cv.txt")  # a BOM is fine


def test_empty_and_unknown_claims() -> None:
    assert "is empty" in refused(b"", PDF, "cv.pdf").message
    assert refused(b"GIF89a", "image/gif", "me.gif").status == 415


def test_an_executable_named_pdf_is_refused() -> None:
    elf = b"\x7fELF\x02\x01\x01\x00" + os.urandom(512)
    assert refused(elf, PDF, "cv.pdf").status == 415
