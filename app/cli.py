"""`refactortrack`: run the gateway and workers, the local stack, migrations and users."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from core.settings import KAFKA_ROLE_USE, KafkaRole, MissingSetting, get_settings

app = typer.Typer(
    help="RefactorTrack: the ATS backend for staffing agencies.", no_args_is_help=True
)
stack_app = typer.Typer(
    help="The local stack of real servers (deploy/local).", no_args_is_help=True
)
users_app = typer.Typer(help="Users who log in to the API.", no_args_is_help=True)
apikeys_app = typer.Typer(help="API keys for integrations (X-API-Key).", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
app.add_typer(users_app, name="users")
import_app = typer.Typer(help="Bulk imports into an agency.", no_args_is_help=True)
app.add_typer(apikeys_app, name="apikeys")
app.add_typer(import_app, name="import")
kafka_app = typer.Typer(
    help="Kafka principals: their credentials and ACLs (as KAFKA_ADMIN_USERNAME; docs/kafka.md).",
    no_args_is_help=True,
)
app.add_typer(kafka_app, name="kafka")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STACK_SCRIPT = PROJECT_ROOT / "deploy" / "local" / "stack.sh"


@app.command()
def gateway(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT)")] = None,
    workers: Annotated[int, typer.Option(help="Uvicorn worker processes")] = 1,
) -> None:
    """Serve the REST API."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "app.gateway:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@app.command()
def worker(
    loglevel: Annotated[str, typer.Option(help="Log level")] = "info",
    agents: Annotated[
        str | None,
        typer.Option(
            help="all, domain (commands and search indexers) or analytics; "
            "default WORKER_AGENTS (all)",
        ),
    ] = None,
) -> None:
    """Run the Faust agents: the domains, the search indexers, the live analytics."""
    import faust

    from app.worker import build_worker_app

    settings = get_settings()
    if agents is not None:
        if agents not in ("all", "domain", "analytics"):
            raise typer.BadParameter("one of all, domain, analytics", param_hint="--agents")
        settings = settings.model_copy(update={"worker_agents": agents})
    faust_app = build_worker_app(settings)
    faust.Worker(faust_app, loglevel=loglevel).execute_from_commandline()


def _stack(action: str) -> None:
    if not STACK_SCRIPT.exists():
        typer.echo(f"{STACK_SCRIPT} is missing: run this from a checkout of the project", err=True)
        raise typer.Exit(2)
    raise typer.Exit(subprocess.call(["bash", str(STACK_SCRIPT), action], env=os.environ.copy()))


@stack_app.command("up")
def stack_up() -> None:
    """Install (first time), start and health-check every server."""
    _stack("up")


@stack_app.command("down")
def stack_down() -> None:
    """Stop every server of the local stack."""
    _stack("down")


@stack_app.command("status")
def stack_status() -> None:
    """Say which servers are up and where they listen."""
    _stack("status")


@app.command()
def migrate() -> None:
    """Migrate Postgres, create the Kafka topics, principals and ACLs, and the search and
    document indexes. Kafka is administered as KAFKA_ADMIN_USERNAME."""
    from stores.bundle import Stores
    from stores.kafka import ensure_topics
    from stores.kafka_access import AccessReport, grant_access
    from stores.postgres.migrate import upgrade

    settings = get_settings()
    upgrade(settings)
    typer.echo("postgres: migrated to head")

    async def prepare() -> tuple[list[str], AccessReport]:
        created = await ensure_topics(settings)
        access = await grant_access(settings)
        stores = Stores(settings)
        await stores.start()
        try:
            await stores.prepare()
        finally:
            await stores.stop()
        return created, access

    created, access = asyncio.run(prepare())
    typer.echo(
        f"kafka: {len(created)} topic(s) created" + (f" ({', '.join(created)})" if created else "")
    )
    if access.credentials_set:
        typer.echo(f"kafka: SCRAM credentials set for {', '.join(access.credentials_set)}")
    if access.credentials_left:
        typer.echo(
            f"kafka: no password here for {', '.join(access.credentials_left)}; "
            "their credentials are left as the broker has them"
        )
    typer.echo(f"kafka: {access.acls} ACL(s) in place for {settings.topic_namespace}")
    typer.echo("mongodb, opensearch: indexes ready")


def _kafka_username(who: str) -> tuple[str, KafkaRole | None]:
    """(username, role) for a role name, or (who, None) for any other Kafka username."""
    for role in KAFKA_ROLE_USE:
        if who == role:
            return get_settings().kafka_username(role), role
    return who, None


@kafka_app.command("show")
def kafka_show(
    who: Annotated[str, typer.Argument(help="admin, gateway, worker, jobs, or any Kafka username")],
) -> None:
    """What the broker knows of a principal: its SCRAM credentials and what it may do."""
    from stores.kafka_admin import KafkaAdmin

    username, _ = _kafka_username(who)

    async def describe() -> Any:
        async with KafkaAdmin(get_settings()) as admin:
            return await admin.describe_principal(username)

    found = asyncio.run(describe())
    mechanisms = ", ".join(f"{c.mechanism} ({c.iterations} iterations)" for c in found.credentials)
    typer.echo(f"User:{username}")
    typer.echo(f"  credentials: {mechanisms or 'none (cannot log in with SCRAM)'}")
    if username == get_settings().kafka_admin_username:
        typer.echo("  super user: every operation, whatever the ACLs")
    typer.echo(f"  allowed ({len(found.grants)}):" if found.grants else "  allowed: nothing")
    for grant in found.grants:
        typer.echo(f"    {grant}")
    for other in found.other_acls:
        typer.echo(f"    other ACL: {other}")


@kafka_app.command("set-password")
def kafka_set_password(
    who: Annotated[str, typer.Argument(help="gateway, worker, jobs, or any Kafka username")],
    from_settings: Annotated[
        bool,
        typer.Option(
            "--from-settings",
            help="Take the password from KAFKA_<ROLE>_PASSWORD (environment, .env) "
            "instead of asking for it",
        ),
    ] = False,
) -> None:
    """Create a principal's SCRAM credential, or rotate its password.

    Connections already open keep working; the process using the principal must get the
    new password before it next connects (docs/kafka.md, "Rotating a password").
    """
    from stores.kafka_admin import KafkaAdmin

    settings = get_settings()
    username, role = _kafka_username(who)
    if username == settings.kafka_admin_username:
        typer.echo(
            "the admin's password is also the broker's own login (inter-broker): rotate it "
            "as docs/kafka.md says, not with this command",
            err=True,
        )
        raise typer.Exit(2)
    if from_settings:
        if role is None:
            typer.echo("--from-settings needs a role: gateway, worker or jobs", err=True)
            raise typer.Exit(2)
        password = settings.kafka_login(role).password.get_secret_value()
    else:
        password = typer.prompt(
            f"New Kafka password for {username}", hide_input=True, confirmation_prompt=True
        )
    if len(password) < 16:
        typer.echo("a Kafka password needs at least 16 characters", err=True)
        raise typer.Exit(2)

    async def upsert() -> None:
        async with KafkaAdmin(settings) as admin:
            await admin.upsert_scram_user(username, password)
            await admin.wait_for_scram_users([username])

    asyncio.run(upsert())
    typer.echo(f"kafka: {settings.kafka_sasl_mechanism} credential of {username} set")


@users_app.command("create")
def users_create(
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug; created if new")],
    username: Annotated[str, typer.Option(help="Login name")],
    password: Annotated[str, typer.Option(help="Password", prompt=True, hide_input=True)],
    role: Annotated[
        str, typer.Option(help="admin | recruiter | account_manager | viewer")
    ] = "recruiter",
) -> None:
    """Create (or reset) a user of an agency."""
    from app.jobs.accounts import create_user
    from domain.permissions import ROLES

    if role not in ROLES:
        typer.echo(f"--role must be one of {', '.join(ROLES)}", err=True)
        raise typer.Exit(2)
    if len(password) < 8:
        typer.echo("--password must have at least 8 characters", err=True)
        raise typer.Exit(2)

    tenant_id, user_id = asyncio.run(
        create_user(get_settings(), tenant=tenant, username=username, password=password, role=role)
    )
    typer.echo(f"user {username} ({role}) id={user_id} tenant={tenant} tenant_id={tenant_id}")


@apikeys_app.command("create")
def apikeys_create(
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug; created if new")],
    name: Annotated[str, typer.Option(help="What the key is for, e.g. the job board")],
    role: Annotated[str, typer.Option(help="recruiter | account_manager | viewer")] = "recruiter",
) -> None:
    """Issue a key; it is printed once and stored only as a hash."""
    from app.jobs.accounts import create_api_key
    from domain.permissions import INTEGRATION_ROLES

    if role not in INTEGRATION_ROLES:
        typer.echo("--role must be recruiter, account_manager or viewer", err=True)
        raise typer.Exit(2)
    tenant_id, key_id, key = asyncio.run(
        create_api_key(get_settings(), tenant=tenant, name=name, role=role)
    )
    typer.echo(f"key id={key_id} tenant={tenant} tenant_id={tenant_id} role={role}")
    typer.echo(f"X-API-Key: {key}")


@apikeys_app.command("revoke")
def apikeys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id")]) -> None:
    """Revoke a key: it stops working at once."""
    from uuid import UUID

    from app.jobs.accounts import revoke_api_key

    try:
        parsed = UUID(key_id)
    except ValueError:
        typer.echo(f"{key_id!r} is not a key id", err=True)
        raise typer.Exit(2) from None
    if not asyncio.run(revoke_api_key(get_settings(), parsed)):
        typer.echo(f"no active key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


@app.command("demo-data")
def demo_data(
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")] = "demo-agency",
    candidates: Annotated[int, typer.Option(help="How many candidates")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed, for the same agency twice")] = 7,
) -> None:
    """Fill an agency with clients, requisitions, candidates and a moving pipeline.

    Needs a running worker (`make dev` starts one); commands go through the topics.
    """
    from app.jobs.demo import load_demo

    summary = asyncio.run(load_demo(get_settings(), tenant, candidates, seed))
    typer.echo(", ".join(f"{v} {k}" for k, v in summary.items()))


@app.command()
def reindex(
    tenant: Annotated[
        str | None,
        typer.Option(help="Only this agency's candidates, rewritten in place (no new index)"),
    ] = None,
) -> None:
    """Rebuild the candidate search index from Postgres and MongoDB, without downtime.

    Writes every candidate into a new index while searches keep reading the old one, then
    moves the alias in one atomic step and catches up on what changed meanwhile.
    """
    from app.jobs.reindex import run_reindex

    raise typer.Exit(run_reindex(get_settings(), tenant))


@import_app.command("candidates")
def import_candidates(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="A .csv or .jsonl file"),
    ],
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")],
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows a batch")] = 1000,
    report: Annotated[
        Path | None,
        typer.Option(help="Write each duplicate and rejected row here, as JSON Lines"),
    ] = None,
) -> None:
    """Import candidates from CSV or JSON Lines, with a summary of what became of each row.

    Rows go to the candidate command topic in batches; a running worker applies them in
    bulk. Duplicates (an email or phone the agency already has, or an earlier row of the
    file has) and rows that break a rule are counted and listed with their line. Run it
    again on the same file and nothing is created twice. The CSV columns are listed in
    `app/jobs/imports/files.py` and the README.
    """
    from app.jobs.imports.cli import run_import

    raise typer.Exit(run_import(get_settings(), file, tenant, batch_size, report))


def main() -> None:
    try:
        sys.exit(app())
    except MissingSetting as exc:
        # A configuration gap, not a bug: the message says what to set, no traceback.
        typer.echo(f"refactortrack: {exc}", err=True)
        sys.exit(2)
