"""The production `docker-compose.yml`: valid Compose, and wired the way the app expects.

No Docker engine is needed: the file is interpolated here the way compose does it, then
validated against the Compose Specification's schema vendored in tests/fixtures.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft202012Validator, validators

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = ROOT / "tests" / "fixtures" / "compose-spec.json"
APP_DOCKERFILE = "deploy/Dockerfile"

STORES = ("postgres", "redis", "kafka", "opensearch", "mongo")
APP_SERVICES = ("migrate", "gateway", "worker")
APP_COMMANDS = {"migrate": "migrate", "gateway": "gateway", "worker": "worker"}
KAFKA_ENTRYPOINT = "deploy/compose/kafka-entrypoint.sh"
# Each app service logs in to Kafka as one principal, and holds that one's password only.
KAFKA_ROLE_OF = {
    "migrate": "ADMIN",
    "gateway": "GATEWAY",
    "worker": "WORKER",
    "analytics": "WORKER",
}
KAFKA_ROLES = ("ADMIN", "GATEWAY", "WORKER", "JOBS")
APP_ENV = (
    "RT_ENV",
    "LOG_LEVEL",
    "HOST",
    "PORT",
    "JWT_SECRET",
    "DATA_MASTER_KEY",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DB",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "REDIS_HOST",
    "REDIS_PORT",
    "MONGODB_URL",
    "MONGODB_DB",
    "OPENSEARCH_URL",
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_PARTITIONS",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_ADMIN_USERNAME",
    "KAFKA_GATEWAY_USERNAME",
    "KAFKA_WORKER_USERNAME",
    "KAFKA_JOBS_USERNAME",
    "WORKER_DATA_DIR",
)

# The operator's shell when running `docker compose up`: the secrets and nothing else.
OPERATOR_ENV = {
    "JWT_SECRET": "a-random-secret-of-more-than-thirty-two-characters",
    "DATA_MASTER_KEY": "another-random-secret-of-more-than-thirty-two-characters",
    "POSTGRES_PASSWORD": "a-production-password",
    "REDIS_PASSWORD": "redis-secret",
    "MONGO_PASSWORD": "mongo-secret",
    "OPENSEARCH_PASSWORD": "Search-Secret-0",
    "KAFKA_ADMIN_PASSWORD": "kafka-admin-secret",
    "KAFKA_GATEWAY_PASSWORD": "kafka-gateway-secret",
    "KAFKA_WORKER_PASSWORD": "kafka-worker-secret",
    "KAFKA_CONTROLLER_PASSWORD": "kafka-controller-secret",
    "FIRST_ADMIN_PASSWORD": "first-admin-password",
}


class MissingVariableError(Exception):
    pass


# Compose's own grammar (compose-go/template): `$$`, `$NAME`, `${NAME}` and
# `${NAME<op>arg}` with op one of - :- ? :? + :+; any other `$` is an error.
_TEMPLATE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<invalid>))"
)


def _substitute(text: str, env: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            return env.get(match["named"], "")
        name = match["braced"]
        if name is None:
            raise ValueError(f"invalid interpolation in {text!r}")
        value = env.get(name)
        op, arg = match["op"], match["arg"]
        if op is None:
            return value or ""
        missing = not value if op.startswith(":") else value is None
        if op.endswith("-"):
            return arg if missing else str(value)
        if op.endswith("?"):
            if missing:
                raise MissingVariableError(f"{name}: {arg}")
            return str(value)
        return "" if missing else arg

    return _TEMPLATE.sub(replace, text)


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Values only, never keys, as compose does."""
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, str):
        return _substitute(node, env)
    return node


@pytest.fixture(scope="module")
def raw_compose() -> dict[str, Any]:
    # safe_load resolves the anchors and `<<` merges the file uses, as compose does.
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict), "docker-compose.yml must be a mapping"
    return document


@pytest.fixture(scope="module")
def compose(raw_compose: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = interpolate(raw_compose, OPERATOR_ENV)
    return result


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = compose.get("services") or {}
    return result


def environment_of(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def depends_on_of(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return dict(deps)


def test_compose_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = validators.validator_for(schema)
    assert validator_class is Draft202012Validator, "the vendored schema changed its draft"
    validator_class.check_schema(schema)

    errors = sorted(
        validator_class(schema).iter_errors(compose), key=lambda e: list(e.absolute_path)
    )
    report = [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]
    assert not report, "docker-compose.yml breaks the Compose Specification:\n" + "\n".join(report)


def test_project_name(compose: dict[str, Any]) -> None:
    assert compose.get("name") == "refactortrack"


@pytest.mark.parametrize("name", STORES + APP_SERVICES)
def test_service_is_defined(services: dict[str, Any], name: str) -> None:
    assert name in services, f"service {name!r} is missing from docker-compose.yml"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_builds_the_app_image(services: dict[str, Any], name: str) -> None:
    build = services[name].get("build")
    assert isinstance(build, dict), f"{name}: needs a build section with context and dockerfile"
    context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
    assert context == ROOT, f"{name}: the build context must be the repository root"
    assert build.get("dockerfile") == APP_DOCKERFILE
    assert (context / APP_DOCKERFILE).is_file()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_runs_its_command(services: dict[str, Any], name: str) -> None:
    command = services[name].get("command")
    assert isinstance(command, list), f"{name}: use the exec form so no shell sits in between"
    assert command[:1] == [APP_COMMANDS[name]]


def test_gateway_is_published_and_listens_beyond_loopback(services: dict[str, Any]) -> None:
    gateway = services["gateway"]
    assert any(str(port).endswith(":8000") for port in gateway.get("ports", []))
    command = gateway["command"]
    assert "--host" in command
    assert command[command.index("--host") + 1] == "0.0.0.0"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_sets_every_app_variable(services: dict[str, Any], name: str) -> None:
    env = environment_of(services[name])
    missing = [var for var in APP_ENV if env.get(var) in (None, "")]
    assert not missing, f"{name}: environment lacks {', '.join(missing)}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_reaches_the_stores_by_service_name(
    services: dict[str, Any], name: str
) -> None:
    env = environment_of(services[name])
    hosts = {
        "POSTGRES_HOST": env["POSTGRES_HOST"],
        "REDIS_HOST": env["REDIS_HOST"],
        "MONGODB_URL": urlsplit(env["MONGODB_URL"]).hostname,
        "OPENSEARCH_URL": urlsplit(env["OPENSEARCH_URL"]).hostname,
    }
    for address in env["KAFKA_BOOTSTRAP_SERVERS"].split(","):
        hosts[f"KAFKA_BOOTSTRAP_SERVERS ({address})"] = address.rsplit(":", 1)[0]
    unknown = {var: host for var, host in hosts.items() if host not in services}
    assert not unknown, f"{name}: these point at no compose service: {unknown}"
    assert env["RT_ENV"] == "production"


def test_kafka_advertises_the_address_the_app_bootstraps_from(services: dict[str, Any]) -> None:
    advertised = environment_of(services["kafka"]).get("KAFKA_ADVERTISED_LISTENERS", "")
    advertised_addresses = {listener.split("://", 1)[-1] for listener in advertised.split(",")}
    for name in APP_SERVICES:
        bootstrap = environment_of(services[name])["KAFKA_BOOTSTRAP_SERVERS"].split(",")
        assert set(bootstrap) <= advertised_addresses, (
            f"{name}: {bootstrap} is not among Kafka's advertised listeners {advertised!r}"
        )


def test_every_depends_on_target_exists(services: dict[str, Any]) -> None:
    dangling = {
        name: target
        for name, service in services.items()
        for target in depends_on_of(service)
        if target not in services
    }
    assert not dangling, f"depends_on names unknown services: {dangling}"


def test_migrate_waits_for_every_store_to_be_healthy(services: dict[str, Any]) -> None:
    deps = depends_on_of(services["migrate"])
    not_waited = [s for s in STORES if deps.get(s, {}).get("condition") != "service_healthy"]
    assert not not_waited, f"migrate does not wait for these to be healthy: {not_waited}"


@pytest.mark.parametrize("name", ["gateway", "worker"])
def test_app_starts_after_a_successful_migration(services: dict[str, Any], name: str) -> None:
    condition = depends_on_of(services[name]).get("migrate", {}).get("condition")
    assert condition == "service_completed_successfully"


@pytest.mark.parametrize("name", STORES)
def test_store_has_a_healthcheck(services: dict[str, Any], name: str) -> None:
    healthcheck = services[name].get("healthcheck") or {}
    test = healthcheck.get("test")
    assert test, f"{name}: needs a healthcheck"
    assert not healthcheck.get("disable"), f"{name}: its healthcheck is disabled"
    assert test not in (["NONE"], "NONE"), f"{name}: its healthcheck is disabled"


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in services.values():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                source = volume.get("source") if volume.get("type") == "volume" else None
            else:
                parts = volume.split(":")
                source = parts[0] if len(parts) > 1 else None
            # Anything else is a bind mount of a host path.
            if source and not source.startswith(("/", ".", "~")):
                used.add(source)
    assert used, "the stores keep their data in named volumes"
    assert used <= declared, f"undeclared named volumes: {sorted(used - declared)}"


@pytest.mark.parametrize("secret", sorted(OPERATOR_ENV))
def test_a_missing_secret_stops_compose(raw_compose: dict[str, Any], secret: str) -> None:
    env = {name: value for name, value in OPERATOR_ENV.items() if name != secret}
    with pytest.raises(MissingVariableError, match=secret):
        interpolate(raw_compose, env)


def test_the_app_image_holds_every_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copied = set(
        re.findall(r"^COPY\s+(\S+)\s", (ROOT / APP_DOCKERFILE).read_text(encoding="utf-8"), re.M)
    )
    assert set(packages) <= copied, f"deploy/Dockerfile does not copy {set(packages) - copied}"


# --- Kafka: authenticated, authorized, one principal per service -------------------


def broker_properties(service: dict[str, Any]) -> dict[str, str]:
    """server.properties as the apache/kafka image makes it from KAFKA_* variables
    (kafka.docker.KafkaDockerWrapper: drop KAFKA_, lower-case, '_' to '.', then '...' to
    '-' and '..' to '_')."""
    excluded = {"KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_JMX_OPTS", "KAFKA_LOG4J_OPTS"}
    properties = {}
    for name, value in environment_of(service).items():
        if not name.startswith("KAFKA_") or name in excluded:
            continue
        key = name.replace("KAFKA_", "").lower().replace("_", ".")
        properties[key.replace("...", "-").replace("..", "_")] = str(value)
    return properties


def listeners(value: str) -> dict[str, str]:
    """LISTENER_NAME -> host:port."""
    return dict(item.split("://", 1) for item in value.split(","))


def test_kafka_has_no_listener_without_authentication(services: dict[str, Any]) -> None:
    props = broker_properties(services["kafka"])
    protocols = dict(
        item.split(":", 1) for item in props["listener.security.protocol.map"].split(",")
    )
    assert set(protocols.values()) <= {"SASL_PLAINTEXT", "SASL_SSL"}, protocols
    opened = listeners(props["listeners"]) | listeners(props["advertised.listeners"])
    assert set(opened) <= set(protocols), (
        f"listeners without a protocol: {set(opened) - set(protocols)}"
    )
    assert props["inter.broker.listener.name"] in protocols
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    # The controller listener: SASL PLAIN from a static user (KRaft cannot use SCRAM there).
    controller = props["controller.listener.names"]
    assert props[f"listener.name.{controller.lower()}.sasl.enabled.mechanisms"] == "PLAIN"
    assert props["sasl.mechanism.controller.protocol"] == "PLAIN"
    jaas = props[f"listener.name.{controller.lower()}.plain.sasl.jaas.config"]
    secret = OPERATOR_ENV["KAFKA_CONTROLLER_PASSWORD"]
    assert f'password="{secret}"' in jaas
    assert f'user_controller="{secret}"' in jaas


def test_kafka_logs_itself_in_as_the_admin(services: dict[str, Any]) -> None:
    props = broker_properties(services["kafka"])
    listener = props["inter.broker.listener.name"].lower()
    jaas = props[f"listener.name.{listener}.scram-sha-512.sasl.jaas.config"]
    assert "ScramLoginModule required" in jaas
    assert 'username="admin"' in jaas
    assert f'password="{OPERATOR_ENV["KAFKA_ADMIN_PASSWORD"]}";' in jaas


def test_kafka_refuses_what_no_acl_allows(services: dict[str, Any]) -> None:
    props = broker_properties(services["kafka"])
    assert props["authorizer.class.name"] == (
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert set(props["super.users"].split(";")) == {"User:admin", "User:controller"}


def test_kafka_is_formatted_with_the_principals_the_apps_log_in_as(
    services: dict[str, Any],
) -> None:
    kafka = services["kafka"]
    env = environment_of(kafka)
    assert kafka["entrypoint"][-1] == "/opt/refactortrack/kafka-entrypoint.sh"
    assert f"./{KAFKA_ENTRYPOINT}:/opt/refactortrack/kafka-entrypoint.sh:ro" in kafka["volumes"]
    assert (ROOT / KAFKA_ENTRYPOINT).is_file()
    app_env = environment_of(services["gateway"])
    for role in KAFKA_ROLES:
        assert env[f"RT_SCRAM_{role}_USERNAME"] == app_env[f"KAFKA_{role}_USERNAME"]
        assert env[f"RT_SCRAM_{role}_PASSWORD"] == OPERATOR_ENV.get(f"KAFKA_{role}_PASSWORD", "")
    # The healthcheck logs in too: a broker refusing its admin is not healthy.
    assert "--command-config" in " ".join(kafka["healthcheck"]["test"])


@pytest.mark.parametrize("name", sorted(KAFKA_ROLE_OF))
def test_each_app_service_gets_only_its_own_kafka_secret(
    services: dict[str, Any], name: str
) -> None:
    env = environment_of(services[name])
    secrets = {var for var in env if var.startswith("KAFKA_") and var.endswith("_PASSWORD")}
    own = f"KAFKA_{KAFKA_ROLE_OF[name]}_PASSWORD"
    assert secrets == {own}, f"{name} holds {sorted(secrets)}, not just {own}"
    assert env[own] == OPERATOR_ENV[own]
    assert env["KAFKA_SECURITY_PROTOCOL"] in ("SASL_PLAINTEXT", "SASL_SSL")


def test_every_store_asks_for_a_password(services: dict[str, Any]) -> None:
    assert "--requirepass" in " ".join(services["redis"]["command"])
    mongo = environment_of(services["mongo"])
    assert mongo["MONGO_INITDB_ROOT_PASSWORD"] == OPERATOR_ENV["MONGO_PASSWORD"]
    search = environment_of(services["opensearch"])
    assert "DISABLE_SECURITY_PLUGIN" not in search
    assert search["OPENSEARCH_INITIAL_ADMIN_PASSWORD"] == OPERATOR_ENV["OPENSEARCH_PASSWORD"]
    for name in ("migrate", "gateway", "worker", "analytics"):
        app = environment_of(services[name])
        assert app["REDIS_PASSWORD"] == OPERATOR_ENV["REDIS_PASSWORD"], name
        assert f":{OPERATOR_ENV['MONGO_PASSWORD']}@mongo:" in app["MONGODB_URL"], name
        assert app["OPENSEARCH_URL"].startswith("https://"), name
        assert app["OPENSEARCH_PASSWORD"] == OPERATOR_ENV["OPENSEARCH_PASSWORD"], name
        assert app["POSTGRES_PASSWORD"] == OPERATOR_ENV["POSTGRES_PASSWORD"], name


def test_someone_can_log_in_after_compose_up(services: dict[str, Any]) -> None:
    """The first admin is made after the migration, from the operator's password (in the
    environment, not the command line), and left alone at every later start."""
    first = services["first-admin"]
    assert first["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    command = first["command"]
    assert command[:2] == ["users", "create"]
    assert command[command.index("--role") + 1] == "admin"
    assert "--keep-existing" in command
    assert "--password" not in command
    env = environment_of(first)
    assert env["REFACTORTRACK_PASSWORD"] == OPERATOR_ENV["FIRST_ADMIN_PASSWORD"]
    assert not {var for var in env if var.startswith("KAFKA_") and var.endswith("_PASSWORD")}
    assert first["restart"] == "no"


@pytest.mark.parametrize("name", ["worker", "analytics"])
def test_a_worker_is_probed_and_scales_without_sharing_its_tables(
    services: dict[str, Any], name: str
) -> None:
    worker = services[name]
    assert "/live" in " ".join(worker["healthcheck"]["test"])
    assert environment_of(worker)["WORKER_HEALTH_PORT"] == "8081"
    # `--scale worker=N`: a named volume would be one directory for every replica.
    assert all(":" not in str(volume) for volume in worker.get("volumes", []))
