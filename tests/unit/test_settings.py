from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import MissingSetting, Settings, local_secrets_file


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


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory and state dir of the test's own, no Kafka or JWT variables set."""
    for name in list(os.environ):
        if name.startswith(("KAFKA_", "JWT_", "RT_STATE_DIR", "XDG_STATE_HOME")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("RT_STATE_DIR", str(state))
    return state


def test_the_local_stacks_secrets_fill_what_env_and_dotenv_leave_unset(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated / "secrets.env").write_text(
        "KAFKA_GATEWAY_PASSWORD=from-secrets\nKAFKA_WORKER_PASSWORD=from-secrets\n"
        "KAFKA_JOBS_PASSWORD=from-secrets\nJWT_SECRET=from-secrets\n"
    )
    Path(".env").write_text("KAFKA_WORKER_PASSWORD=from-dotenv\n")
    monkeypatch.setenv("KAFKA_JOBS_PASSWORD", "from-env")
    settings = Settings()
    assert settings.kafka_login("gateway").password.get_secret_value() == "from-secrets"
    assert settings.kafka_login("worker").password.get_secret_value() == "from-dotenv"
    assert settings.kafka_login("jobs").password.get_secret_value() == "from-env"
    assert settings.jwt_secret == "from-secrets"


def test_the_state_dir_comes_from_dotenv_too(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RT_STATE_DIR")
    elsewhere = isolated / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secrets.env").write_text("KAFKA_ADMIN_PASSWORD=found\n")
    Path(".env").write_text(f"RT_STATE_DIR={elsewhere}\n")
    assert local_secrets_file() == elsewhere / "secrets.env"
    assert Settings().kafka_login("admin").password.get_secret_value() == "found"
    Path(".env").write_text(f"XDG_STATE_HOME={isolated}\n")
    assert local_secrets_file() == isolated / "refactortrack" / "secrets.env"


def test_a_process_without_its_password_is_told_which_to_set(isolated: Path) -> None:
    settings = Settings.model_validate({"KAFKA_GATEWAY_PASSWORD": "only-this-one"})
    assert settings.kafka_login("gateway").username == "rt-gateway"
    with pytest.raises(MissingSetting) as info:
        settings.kafka_login("worker")
    message = str(info.value)
    assert "KAFKA_WORKER_PASSWORD is not set" in message
    assert "'rt-worker'" in message
    assert str(isolated / "secrets.env") in message
    # The password never shows in the settings' repr.
    assert "only-this-one" not in repr(settings)


def test_each_role_needs_a_principal_of_its_own() -> None:
    with pytest.raises(ValidationError, match="KAFKA_WORKER_USERNAME and KAFKA_GATEWAY_USERNAME"):
        Settings.model_validate({"KAFKA_WORKER_USERNAME": "rt-gateway"})


@pytest.mark.parametrize("name", ["", "has space", "a,b", 'quote"', "-leading", "x" * 65])
def test_kafka_usernames_are_plain(name: str) -> None:
    with pytest.raises(ValidationError, match="not a Kafka username"):
        Settings.model_validate({"KAFKA_JOBS_USERNAME": name})


def test_only_sasl_security_protocols_are_accepted() -> None:
    with pytest.raises(ValidationError, match="KAFKA_SECURITY_PROTOCOL"):
        Settings.model_validate({"KAFKA_SECURITY_PROTOCOL": "PLAINTEXT"})
