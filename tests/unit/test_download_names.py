from __future__ import annotations

import pytest

from gateway.routes.documents import safe_filename


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("cv.pdf", "cv.pdf"),
        ('Ada "CV" 2026\u00e9.docx', "Ada__CV__2026_.docx"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ada\\cv.docx", "cv.docx"),
        ("line\r\nbreak.txt", "line__break.txt"),
        (".hidden", "hidden"),
        ("\u7b80\u5386", "__"),
        ("", "document"),
        ("..", "document"),
    ],
)
def test_the_ascii_filename_is_safe_in_a_header_and_a_file_system(given: str, safe: str) -> None:
    assert safe_filename(given) == safe
