from __future__ import annotations

import pytest

from core.errors import InvalidCommand
from domain.resume_files import DOCX, PDF, TEXT, media_type_for
from domain.resume_text import extract_text, read_resume
from domain.skills import canonical_skill, extract_skills
from tests.resumes import docx_with_layout, docx_with_text, pdf_with_text


def test_synonyms_resolve_to_one_skill() -> None:
    text = "Ran k8s clusters; wrote JS and golang; tuned Postgres; some C++ and C#; Node.js"
    assert extract_skills(text) == [
        "Go",
        "C++",
        "C#",
        "JavaScript",
        "Node.js",
        "PostgreSQL",
        "Kubernetes",
    ]
    assert canonical_skill("k8s") == "Kubernetes"
    assert canonical_skill("Underwater Basket Weaving") == "Underwater Basket Weaving"


def test_words_inside_other_words_are_not_skills() -> None:
    assert extract_skills("jsonify goliath cpython scala-ish") == ["Scala"]


def test_text_comes_out_of_pdf_docx_and_txt() -> None:
    assert "Kubernetes" in extract_text(pdf_with_text("Kubernetes and Kafka"), PDF)
    assert "Rust" in extract_text(docx_with_text("Senior engineer", "Rust, Go"), DOCX)
    assert extract_text("Caf\u00e9 Python".encode(), TEXT) == "Caf\u00e9 Python"
    assert extract_text("\ufeffPython".encode(), TEXT) == "Python"  # a BOM is not text


def test_a_resume_is_read_with_its_skills() -> None:
    read = read_resume(docx_with_text("Staff engineer", "golang, k8s"), DOCX)
    assert read.text == "Staff engineer\ngolang, k8s"
    assert read.skills == ["Go", "Kubernetes"]


def test_docx_tables_headers_and_footers_are_read() -> None:
    text = extract_text(docx_with_layout(), DOCX)
    lines = text.splitlines()
    assert lines[:2] == ["Profile: backend engineer", "Skills"]
    assert lines.count("Kafka and Terraform") == 1  # a merged cell, read once
    for words in (
        "2019-2024",
        "Nested golang",
        "Ada Lovelace, ada@example.com",
        "References: Rust guild",
        "Page two header with Elixir",
    ):
        assert words in lines
    assert {"Go", "Rust", "Kafka", "Terraform"} <= set(read_resume(docx_with_layout(), DOCX).skills)


def test_a_mislabelled_or_broken_file_is_the_callers_error() -> None:
    with pytest.raises(InvalidCommand, match="could not be read"):
        extract_text(b"not a pdf at all", PDF)
    with pytest.raises(InvalidCommand):
        extract_text(b"PK\x03\x04broken", DOCX)
    # Text is UTF-8: another encoding is refused rather than guessed.
    with pytest.raises(InvalidCommand, match="could not be read as plain text"):
        extract_text("Caf\u00e9".encode("latin-1"), TEXT)
    with pytest.raises(InvalidCommand, match="could not be read"):
        read_resume(b"this is no pdf", PDF)


def test_media_type_by_extension_then_declared_type() -> None:
    assert media_type_for("CV.PDF", "application/octet-stream") == PDF
    assert media_type_for("resume", "text/plain; charset=utf-8") == TEXT
    assert media_type_for("photo.png", "image/png") is None
