from __future__ import annotations

import uuid

import pytest

from core.settings import Settings
from gateway.auth import InvalidToken, Principal, issue_token, read_token


def _settings(**overrides: object) -> Settings:
    return Settings.model_validate({"JWT_SECRET": "x" * 40, **overrides})


def _principal() -> Principal:
    return Principal(id=uuid.uuid4(), tenant_id=uuid.uuid4(), role="recruiter", username="ada")


def test_access_token_round_trips_identity_and_tenant() -> None:
    settings, principal = _settings(), _principal()
    token, ttl = issue_token(settings, principal, "access")
    assert ttl == settings.jwt_expiry_seconds
    assert read_token(settings, token, "access") == principal


def test_refresh_token_is_not_an_access_token() -> None:
    settings = _settings()
    token, _ = issue_token(settings, _principal(), "refresh")
    with pytest.raises(InvalidToken, match="access token is required"):
        read_token(settings, token, "access")


def test_expired_token_is_refused() -> None:
    settings = _settings(JWT_EXPIRY_SECONDS=-5)
    token, _ = issue_token(settings, _principal(), "access")
    with pytest.raises(InvalidToken, match="expired"):
        read_token(settings, token, "access")


def test_token_signed_with_another_secret_is_refused() -> None:
    token, _ = issue_token(_settings(), _principal(), "access")
    with pytest.raises(InvalidToken):
        read_token(_settings(JWT_SECRET="y" * 40), token, "access")
