"""`refactortrack`: the gateway and workers, the local stack, migrations, jobs; accounts in
`app/cli/accounts.py`."""

from __future__ import annotations

import asyncio
import logging.config
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Annotated

import typer

from app.cli import accounts, audit, backups, integrations, kafka, keys, retention
from core.logging import dict_config, mask_every_handler, quiet_libraries
from core.settings import MissingSetting, Settings, get_settings

app = typer.Typer(
    help="RefactorTrack: the ATS backend for staffing agencies.", no_args_is_help=True
)
stack_app = typer.Typer(
    help="The local stack of real servers (deploy/local).", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")
app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.tenants_app, name="tenants")
app.add_typer(accounts.apikeys_app, name="apikeys")
import_app = typer.Typer(help="Bulk imports into an agency.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(kafka.kafka_app, name="kafka")
app.add_typer(integrations.integrations_app, name="integrations")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(retention.retention_app, name="retention")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(backups.mongo_app, name="mongo")
app.add_typer(backups.erasures_app, name="erasures")


@app.callback()
def mask_personal_data() -> None:
    """RefactorTrack: the ATS backend for staffing agencies."""
    mask_every_handler()
    quiet_libraries()


PROJECT_ROOT = Path(__file__).resolve().parents[2]
STACK_SCRIPT = PROJECT_ROOT / "deploy" / "local" / "stack.sh"


@app.command()
def gateway(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default: HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: PORT)")] = None,
    workers: Annotated[int, typer.Option(help="Uvicorn worker processes")] = 1,
) -> None:
    """Serve the REST API."""
    import uvicorn

    from gateway.http_protocol import ProblemHttpToolsProtocol

    settings = get_settings()
    uvicorn.run(
        "app.gateway:create_app",
        factory=True,
        # A request too malformed (or too long) to reach the app is answered problem+json.
        http=ProblemHttpToolsProtocol,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        # The scheme and client of a request come from X-Forwarded-Proto/-For only when
        # a trusted proxy sends them (HSTS and logs rely on it).
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        # SIGTERM (a rolling deploy): stop taking connections, answer what is in flight,
        # then close the clients; a request still running after this long is cut.
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


@app.command()
def worker(
    loglevel: Annotated[str, typer.Option(help="Log level")] = "info",
    agents: Annotated[
        str | None,
        typer.Option(
            help="all, commands (command agents, resume reader, integration gate), "
            "followers (search indexers, changes feed, webhooks, integrations forwarder), "
            "domain (commands and followers) or analytics; default WORKER_AGENTS (all)",
        ),
    ] = None,
) -> None:
    """Run the Faust agents: the commands, their followers, the live analytics."""
    import faust

    from app.event_loop import use_worker_loop
    from app.follower_offsets import adopt_domain_offsets
    from app.worker import build_worker_app

    settings = get_settings()
    if agents is not None:
        accepted = typing.get_args(Settings.model_fields["worker_agents"].annotation)
        if agents not in accepted:
            raise typer.BadParameter(f"one of {', '.join(accepted)}", param_hint="--agents")
        settings = settings.model_copy(update={"worker_agents": agents})
    use_worker_loop(settings)
    faust_app = build_worker_app(settings)
    if settings.worker_agents == "followers":
        # Its group starts where the domain group's followers stood (app/follower_offsets.py);
        # logged as Faust will log (which sets its logging up only when it starts).
        config = dict_config(loglevel, settings.log_format)
        before = list(logging.root.handlers)
        if config is None:
            logging.basicConfig(level=loglevel.upper())
        else:
            logging.config.dictConfig(config)
        mask_every_handler()
        try:
            adopt_domain_offsets(settings, faust_app)
        finally:
            # Faust's worker sets its own up: no line twice.
            for handler in set(logging.root.handlers) - set(before):
                logging.root.removeHandler(handler)
    faust.Worker(
        faust_app, loglevel=loglevel, logging_config=dict_config(loglevel, settings.log_format)
    ).execute_from_commandline()


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
    document indexes, then seal what was stored before encryption at rest (`keys
    backfill`). Kafka is administered as KAFKA_ADMIN_USERNAME."""
    from app.jobs.keys import backfill_at_rest, describe_backfill
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
    typer.echo(
        f"personal data at rest: {describe_backfill(asyncio.run(backfill_at_rest(settings)))}"
    )


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
        typer.Option(help="Only this agency's records, rewritten in place (no new index)"),
    ] = None,
) -> None:
    """Rebuild every search index from Postgres and MongoDB, without downtime.

    Writes every candidate into a new index while searches keep reading the old one, then
    moves the alias in one atomic step and catches up on what changed meanwhile; then
    writes every requisition and every alerting saved search's query again, in place.
    """
    from app.jobs.reindex import run_reindex

    raise typer.Exit(run_reindex(get_settings(), tenant))


@app.command("optimise-search")
def optimise_search() -> None:
    """Merge the candidate index's segments, after a big import (searches run on meanwhile).

    A bulk import leaves the index in tens of segments, and every search pays for each of
    them until Lucene's background merges catch up. Run once the import is done (not while
    one runs: what it writes meanwhile makes new segments again). `reindex` does this by
    itself for the index it builds.
    """
    from app.jobs.reindex import run_optimise_search

    raise typer.Exit(run_optimise_search(get_settings()))


IMPORT_KINDS = ("candidates", "clients", "contacts", "requisitions", "submissions")
EXPORT_KINDS = (*IMPORT_KINDS, "placements")


def _import(kind: str) -> None:
    """Register `import KIND`: the same file rules, options and report for every kind."""

    def command(
        file: Annotated[Path, typer.Argument(help="A .csv or .jsonl file")],
        tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")],
        batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows a batch")] = 1000,
        report: Annotated[
            Path | None,
            typer.Option(help="Write each duplicate and rejected row here, as JSON Lines"),
        ] = None,
        map_file: Annotated[
            Path | None,
            typer.Option(
                "--map",
                help='Their column names to ours: a JSON object {"their column": "ours"} '
                "or a two-column CSV (docs/import-export.md)",
            ),
        ] = None,
        encoding: Annotated[
            str | None,
            typer.Option(
                help="The file's encoding (default: read from a BOM, else UTF-8, else Windows-1252)"
            ),
        ] = None,
    ) -> None:
        from app.jobs.imports.cli import run_import

        raise typer.Exit(
            run_import(
                get_settings(),
                kind,
                file,
                tenant,
                batch_size,
                report,
                mapping=map_file,
                encoding=encoding,
            )
        )

    command.__doc__ = (
        f"Import {kind} from CSV or JSON Lines, with a summary of what became of each row.\n\n"
        "The whole file is checked first: a file that cannot be imported (its encoding, "
        "its columns, a broken line) sends nothing and exits 2 with one line saying why. "
        "Rows go to the command topics in batches; a running worker applies them. Rows "
        "refused (a duplicate, a rule, a reference that names nothing) are counted and "
        "listed with their line; run it again on the same file and nothing is created "
        "twice. Columns and references: docs/import-export.md."
    )
    import_app.command(kind)(command)


for _kind in IMPORT_KINDS:
    _import(_kind)


@app.command("export")
def export(
    kind: Annotated[str, typer.Argument(help=", ".join(EXPORT_KINDS))],
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")],
    format: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
    updated_since: Annotated[
        str | None,
        typer.Option(help="Only records changed at or after this RFC 3339 time"),
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Write here (default: standard output)")
    ] = None,
    operator: Annotated[
        str | None,
        typer.Option(help="Who exports, for the audit log (default: the login name)"),
    ] = None,
) -> None:
    """Export an agency's records as CSV or JSON Lines, in a shape `import` reads back.

    CSV cells a spreadsheet would run as formulas are written with a leading `'`; lists
    and nested fields are flattened into documented columns (docs/import-export.md).
    Personal data is opened from its sealing at rest; erased people are not there. The
    export is recorded in the agency's audit log (`export`, with every id exported).
    """
    from app.jobs.exports.cli import run_export

    raise typer.Exit(
        run_export(get_settings(), kind, tenant, format, updated_since, output, operator)
    )


def main() -> None:
    try:
        sys.exit(app())
    except MissingSetting as exc:
        # A configuration gap, not a bug: the message says what to set, no traceback.
        typer.echo(f"refactortrack: {exc}", err=True)
        sys.exit(2)
