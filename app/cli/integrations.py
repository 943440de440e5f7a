"""`refactortrack integrations`: systems that publish commands to Kafka for an agency."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated
from uuid import UUID

import typer

from core.settings import get_settings
from domain.permissions import INTEGRATION_ROLES, PERMISSIONS

integrations_app = typer.Typer(
    help="Integrations that write commands to Kafka (docs/integrations.md).",
    no_args_is_help=True,
)


@integrations_app.command("create")
def integrations_create(
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")],
    name: Annotated[str, typer.Option(help="What it is, e.g. the job board's name")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(INTEGRATION_ROLES)}")] = "recruiter",
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="What it may do, within its role (repeat for more); default: read only. "
            f"One of: {', '.join(PERMISSIONS)}"
        ),
    ] = None,
) -> None:
    """Make an integration: prints, once, a JSON object with its Kafka login and topics.

    It may write only `command_topic` and read only `event_topic` (its agency's events);
    what it writes is applied as its agency and role, whatever a message claims.
    """
    from app.jobs.integrations import create_integration

    try:
        made = asyncio.run(
            create_integration(get_settings(), tenant=tenant, name=name, role=role, scopes=scope)
        )
    except (LookupError, ValueError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(made.as_dict(), indent=2))


@integrations_app.command("list")
def integrations_list(tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")]) -> None:
    """The agency's integrations: id, name, role, scopes, Kafka username, state."""
    from app.jobs.integrations import list_integrations

    found = asyncio.run(list_integrations(get_settings(), tenant))
    if found is None:
        typer.echo(f"no agency {tenant}", err=True)
        raise typer.Exit(1)
    for i in found:
        state = f"revoked {i['revoked_at']:%Y-%m-%d}" if i["revoked_at"] else "active"
        typer.echo(
            f"{i['id']}  {i['name']}  {i['role']}  {state}  user={i['kafka_username']}  "
            f"scopes={','.join(i['scopes'])}"
        )


@integrations_app.command("revoke")
def integrations_revoke(
    integration_id: Annotated[str, typer.Argument(help="The integration's id")],
) -> None:
    """End an integration: its Kafka login and ACLs go, the worker refuses what it sent."""
    from app.jobs.integrations import revoke_integration

    try:
        parsed = UUID(integration_id)
    except ValueError:
        typer.echo(f"{integration_id!r} is not an integration id", err=True)
        raise typer.Exit(2) from None
    if not asyncio.run(revoke_integration(get_settings(), parsed)):
        typer.echo(f"no active integration {integration_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {integration_id}")
