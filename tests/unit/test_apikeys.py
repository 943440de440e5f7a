from __future__ import annotations

import pytest

from core.apikeys import issue_key, secret_matches, split_key


def test_an_issued_key_splits_and_verifies() -> None:
    issued = issue_key()
    parts = split_key(issued.plaintext)
    assert parts is not None
    prefix, secret = parts
    assert prefix == issued.prefix
    assert secret_matches(secret, issued.secret_hash)
    assert not secret_matches(secret + "x", issued.secret_hash)
    assert issued.secret_hash not in issued.plaintext


@pytest.mark.parametrize(
    "bad", ["", "rtk", "rtk_short_x", "abc_0123456789abcdef_x", "rtk_0123456789abcdef_"]
)
def test_malformed_keys_do_not_split(bad: str) -> None:
    assert split_key(bad) is None
