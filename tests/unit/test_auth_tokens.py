from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from core.clock import utcnow
from core.settings import Settings
from gateway import auth
from gateway.auth import (
    AccessTokens,
    InvalidToken,
    Principal,
    check_secret,
    issue_token,
    read_token,
)


def _settings(**overrides: object) -> Settings:
    return Settings.model_validate({"JWT_SECRET": "x" * 40, **overrides})


def _principal() -> Principal:
    return Principal(id=uuid.uuid4(), tenant_id=uuid.uuid4(), role="recruiter", username="ada")


def test_access_token_round_trips_identity_and_tenant() -> None:
    settings, principal = _settings(), _principal()
    issued = issue_token(settings, principal, "access")
    assert issued.ttl == settings.jwt_expiry_seconds
    token = read_token(settings, issued.text, "access")
    assert token.principal == principal
    assert token.token_id == issued.token_id
    assert token.issued_at == issued.issued_at
    assert token.family_id is None


def test_refresh_token_is_not_an_access_token() -> None:
    settings = _settings()
    family = uuid.uuid4()
    issued = issue_token(settings, _principal(), "refresh", family_id=family)
    assert read_token(settings, issued.text, "refresh").family_id == family
    with pytest.raises(InvalidToken, match="access token is required"):
        read_token(settings, issued.text, "access")


def test_expired_token_is_refused() -> None:
    settings = _settings(JWT_EXPIRY_SECONDS=-5)
    issued = issue_token(settings, _principal(), "access")
    with pytest.raises(InvalidToken, match="expired"):
        read_token(settings, issued.text, "access")


def test_token_signed_with_another_secret_is_refused() -> None:
    issued = issue_token(_settings(), _principal(), "access")
    with pytest.raises(InvalidToken):
        read_token(_settings(JWT_SECRET="y" * 40), issued.text, "access")


@pytest.mark.parametrize(("claim", "setting"), [("iss", "JWT_ISSUER"), ("aud", "JWT_AUDIENCE")])
def test_a_token_for_another_issuer_or_audience_is_refused(claim: str, setting: str) -> None:
    issued = issue_token(_settings(**{setting: "someone-else"}), _principal(), "access")
    with pytest.raises(InvalidToken, match="not valid"):
        read_token(_settings(), issued.text, "access")


def test_the_gateway_refuses_a_weak_or_missing_secret() -> None:
    for secret in ("", "short"):
        with pytest.raises(RuntimeError, match="JWT_SECRET"):
            check_secret(_settings(JWT_SECRET=secret))
    check_secret(_settings())


def test_a_verified_access_token_is_read_once_and_refused_once_expired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, principal = _settings(), _principal()
    tokens = AccessTokens(settings)
    issued = issue_token(settings, principal, "access")
    first = tokens.read(issued.text)
    assert first.principal == principal
    # Verified once: the second read does not decode it again.
    verified: list[str] = []
    monkeypatch.setattr(auth, "read_token", lambda *a: verified.append(a[1]) or first)
    assert tokens.read(issued.text) is first
    assert verified == []
    # Its expiry still applies, to the millisecond.
    later = issued.expires_at + timedelta(milliseconds=1)
    monkeypatch.setattr(auth, "utcnow", lambda: later)
    with pytest.raises(InvalidToken, match="expired"):
        tokens.read(issued.text)


def test_access_tokens_refuse_what_read_token_refuses_every_time() -> None:
    settings = _settings()
    tokens = AccessTokens(settings)
    refresh = issue_token(settings, _principal(), "refresh", family_id=uuid.uuid4())
    forged = issue_token(_settings(JWT_SECRET="y" * 40), _principal(), "access")
    for _ in range(2):  # a refusal is not remembered as anything else
        with pytest.raises(InvalidToken, match="access token is required"):
            tokens.read(refresh.text)
        with pytest.raises(InvalidToken, match="not valid"):
            tokens.read(forged.text)
    assert utcnow() < refresh.expires_at
