"""Drivers' INFO lines stay out of the logs unless a process runs at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from core.logging import CHATTY_LIBRARIES, quiet_libraries


@pytest.fixture
def levels() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.level, {n: logging.getLogger(n).level for n in CHATTY_LIBRARIES}
    yield
    root.setLevel(saved[0])
    for name, level in saved[1].items():
        logging.getLogger(name).setLevel(level)


def test_driver_info_is_off_at_info(levels: None) -> None:
    logging.getLogger().setLevel(logging.INFO)
    quiet_libraries()
    assert not logging.getLogger("opensearch").isEnabledFor(logging.INFO)
    assert logging.getLogger("opensearch").isEnabledFor(logging.WARNING)
    # The system's own lines are untouched.
    assert logging.getLogger("agents.processor").isEnabledFor(logging.INFO)


def test_debug_shows_everything(levels: None) -> None:
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET)
    logging.getLogger().setLevel(logging.DEBUG)
    quiet_libraries()
    assert logging.getLogger("opensearch").isEnabledFor(logging.DEBUG)
