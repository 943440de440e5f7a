from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.settings import Settings


def test_dev_accepts_the_default_secrets() -> None:
    assert Settings.model_validate({"RT_ENV": "dev"}).environment == "dev"


def test_production_refuses_default_secrets_and_names_them() -> None:
    with pytest.raises(ValidationError) as info:
        Settings.model_validate({"RT_ENV": "production", "JWT_SECRET": ""})
    assert "JWT_SECRET" in str(info.value)
    assert "POSTGRES_PASSWORD" in str(info.value)


def test_production_starts_with_real_secrets() -> None:
    settings = Settings.model_validate(
        {"RT_ENV": "production", "JWT_SECRET": "s" * 48, "POSTGRES_PASSWORD": "p@ss/word"}
    )
    # Special characters must not break the DSN.
    assert "p%40ss%2Fword@" in settings.postgres_dsn
