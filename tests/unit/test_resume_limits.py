"""The structural caps on a resume, checked before (and while) it is read."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import pytest

from core.errors import InvalidCommand
from domain.resume_files import DOCX, PDF, TEXT
from domain.resume_limits import MIB, ResumeLimits
from domain.resume_text import extract_text, read_resume
from tests.resumes import (
    docx_bomb,
    docx_with_parts,
    docx_with_text,
    pdf_with_pages,
    pdf_with_text,
)


def refusal(content: bytes, media_type: str, limits: ResumeLimits | None = None) -> InvalidCommand:
    with pytest.raises(InvalidCommand) as caught:
        read_resume(content, media_type, limits or ResumeLimits())
    return caught.value


def test_a_docx_bomb_is_refused_from_its_directory_before_anything_inflates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = docx_bomb(60_000_000)
    assert len(bomb) < 400_000  # a few hundred KB that would be 60 MB of XML

    def no_inflating(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an entry of the bomb was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_inflating)
    started = time.monotonic()
    error = refusal(bomb, DOCX)
    assert time.monotonic() - started < 1
    assert error.extra["limit"] == "compression_ratio"
    assert "word/document.xml in the DOCX is compressed" in error.message

    # With the ratio allowed, the inflated size still refuses it, as early.
    roomy = ResumeLimits(max_compression_ratio=10_000)
    error = refusal(bomb, DOCX, roomy)
    assert error.extra["limit"] == "inflated_bytes"
    assert "inflates to 58.0 MiB" in error.message
    assert "at most 20.0 MiB" in error.message


def test_a_docx_of_many_parts_is_refused_from_the_end_record() -> None:
    error = refusal(docx_with_parts(600), DOCX)
    assert error.extra["limit"] == "zip_entries"
    assert "holds 6" in error.message
    # Within the limit, the same kind of file reads.
    assert read_resume(docx_with_parts(50), DOCX).skills == ["Python"]


def test_a_zip_that_lies_about_its_sizes_fails_when_read() -> None:
    # Declaring a small size in the directory does not let the parser inflate more:
    # zipfile stops at the declared size and the CRC check fails.
    bomb = bytearray(docx_bomb(5_000_000))
    # The last mention of the name is its central directory entry, 46 bytes in.
    entry = bomb.rfind(b"word/document.xml") - 46
    assert bomb[entry : entry + 4] == b"PK\x01\x02"
    bomb[entry + 24 : entry + 28] = (1000).to_bytes(4, "little")  # uncompressed size
    error = refusal(bytes(bomb), DOCX)
    assert "could not be read as a Word document" in error.message


def test_a_pdf_of_many_pages_is_refused() -> None:
    error = refusal(pdf_with_pages(500), PDF)
    assert error.extra["limit"] == "pdf_pages"
    assert "has 500 pages" in error.message
    # A page tree that claims one page is walked and counted all the same.
    error = refusal(pdf_with_pages(200, declared_pages=1), PDF)
    assert "has 200 pages" in error.message
    assert "page" in read_resume(pdf_with_pages(3), PDF).text


def test_text_past_the_cap_is_refused_as_it_is_read() -> None:
    small = ResumeLimits(max_text_chars=1000)
    assert refusal(b"Python " * 200, TEXT, small).extra["limit"] == "text_chars"
    many = docx_with_text(*(["Python and Go"] * 100))
    assert "longer than 1,000 characters" in refusal(many, DOCX, small).message
    assert refusal(pdf_with_pages(40), PDF, ResumeLimits(max_text_chars=100)).extra["limit"] == (
        "text_chars"
    )
    # At the cap exactly is fine.
    assert extract_text(b"x" * 1000, TEXT, small) == "x" * 1000


def test_an_ordinary_resume_is_far_from_every_limit() -> None:
    docx = docx_with_text("Staff engineer", "Kubernetes, Kafka and Python")
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        inflated = sum(i.file_size for i in archive.infolist())
    assert inflated < MIB
    assert read_resume(docx, DOCX).skills == ["Python", "Kafka", "Kubernetes"]
    assert read_resume(pdf_with_text("Go"), PDF).skills == ["Go"]


def test_truncated_and_random_files_are_refused_not_raised() -> None:
    whole = docx_with_text("Senior engineer")
    assert "truncated or damaged zip" in refusal(whole[: len(whole) // 2], DOCX).message
    pdf = pdf_with_text("Python")
    assert "could not be read" in refusal(pdf[: len(pdf) // 2], PDF).message
    junk = bytes(range(256)) * 8
    assert refusal(b"%PDF-1.4\n" + junk, PDF).status == 422
