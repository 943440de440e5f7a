"""`refactortrack kafka`: the broker's principals, their credentials and what each may do."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from core.settings import KAFKA_ROLE_USE, KafkaRole, get_settings

kafka_app = typer.Typer(
    help="Kafka principals: their credentials and ACLs (as KAFKA_ADMIN_USERNAME; docs/kafka.md).",
    no_args_is_help=True,
)


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
