"""`refactortrack users|tenants|apikeys`: an agency's people, the agency, its API keys."""

from __future__ import annotations

import asyncio
from typing import Annotated
from uuid import UUID

import typer

from core.settings import get_settings
from domain.permissions import INTEGRATION_ROLES, PERMISSIONS, ROLES

users_app = typer.Typer(help="Users who log in to the API.", no_args_is_help=True)
tenants_app = typer.Typer(help="Agencies (tenants).", no_args_is_help=True)
apikeys_app = typer.Typer(help="API keys for integrations (X-API-Key).", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _key_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise _fail(f"{text!r} is not a key id") from None


@users_app.command("create")
def users_create(
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug; created if new")],
    username: Annotated[str, typer.Option(help="Login name")],
    password: Annotated[
        str,
        typer.Option(
            help="Password (or the REFACTORTRACK_PASSWORD variable, kept out of `ps`)",
            prompt=True,
            hide_input=True,
            envvar="REFACTORTRACK_PASSWORD",
        ),
    ],
    role: Annotated[
        str, typer.Option(help="admin | recruiter | account_manager | viewer")
    ] = "recruiter",
    keep_existing: Annotated[
        bool,
        typer.Option(
            "--keep-existing",
            help="A user of this name is left as it is (password, role, tokens): for a "
            "bootstrap that runs at every start",
        ),
    ] = False,
) -> None:
    """Create (or reset) a user of an agency; a reset voids the user's earlier tokens."""
    from app.jobs.accounts import create_user, ensure_user

    if role not in ROLES:
        raise _fail(f"--role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise _fail("--password must have at least 8 characters")
    settings = get_settings()
    fields = {"tenant": tenant, "username": username, "password": password, "role": role}
    if keep_existing:
        made = asyncio.run(ensure_user(settings, **fields))
        if made is None:
            typer.echo(f"user {username} exists: kept as it was")
            return
        tenant_id, user_id = made
    else:
        tenant_id, user_id = asyncio.run(create_user(settings, **fields))
    typer.echo(f"user {username} ({role}) id={user_id} tenant={tenant} tenant_id={tenant_id}")


@users_app.command("password")
def users_password(
    username: Annotated[str, typer.Option(help="Login name")],
    password: Annotated[
        str,
        typer.Option(help="New password", prompt=True, hide_input=True, confirmation_prompt=True),
    ],
) -> None:
    """Set a new password; every token issued before stops working within seconds."""
    from app.jobs.accounts import set_password

    if len(password) < 8:
        raise _fail("--password must have at least 8 characters")
    if not asyncio.run(set_password(get_settings(), username, password)):
        raise _fail(f"no user {username}", 1)
    typer.echo(f"new password for {username}; their earlier tokens are revoked")


def _set_active(username: str, *, active: bool) -> None:
    from app.jobs.accounts import set_user_active

    if not asyncio.run(set_user_active(get_settings(), username, active=active)):
        raise _fail(f"no user {username}", 1)


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Option(help="Login name")]) -> None:
    """Disable a user: they cannot log in, and their tokens stop working within seconds."""
    _set_active(username, active=False)
    typer.echo(f"disabled {username}")


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Option(help="Login name")]) -> None:
    """Enable a disabled user again (they log in anew; old tokens stay revoked)."""
    _set_active(username, active=True)
    typer.echo(f"enabled {username}")


@users_app.command("erase")
def users_erase(username: Annotated[str, typer.Option(help="Login name")]) -> None:
    """Erase a user (GDPR): their login name (often an e-mail) and password are forgotten,
    their tokens stop working; their id stays behind what they did, naming nobody."""
    from app.jobs.accounts import erase_user

    user_id = asyncio.run(erase_user(get_settings(), username))
    if user_id is None:
        raise _fail(f"no user {username}", 1)
    typer.echo(f"erased user {user_id}; it can no longer log in")


def _suspend(tenant: str, *, suspended: bool) -> None:
    from app.jobs.accounts import set_tenant_suspended

    if not asyncio.run(set_tenant_suspended(get_settings(), tenant, suspended=suspended)):
        raise _fail(f"no agency {tenant}", 1)


@tenants_app.command("suspend")
def tenants_suspend(tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")]) -> None:
    """Suspend an agency: its users and keys are refused within seconds; data is kept."""
    _suspend(tenant, suspended=True)
    typer.echo(f"suspended {tenant}")


@tenants_app.command("resume")
def tenants_resume(tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")]) -> None:
    """Resume a suspended agency."""
    _suspend(tenant, suspended=False)
    typer.echo(f"resumed {tenant}")


@apikeys_app.command("create")
def apikeys_create(
    tenant: Annotated[str, typer.Option(help="Agency (tenant) slug; created if new")],
    name: Annotated[str, typer.Option(help="What the key is for, e.g. the job board")],
    role: Annotated[str, typer.Option(help="recruiter | account_manager | viewer")] = "recruiter",
    scope: Annotated[
        list[str] | None,
        typer.Option(
            help="What the key may do, within its role (repeat for more); default: read "
            f"only. One of: {', '.join(PERMISSIONS)}"
        ),
    ] = None,
    expires_in_days: Annotated[
        int, typer.Option(min=1, max=3650, help="Days until the key stops working")
    ] = 365,
) -> None:
    """Issue a key; it is printed once and stored only as a hash."""
    from app.jobs.accounts import create_api_key

    if role not in INTEGRATION_ROLES:
        raise _fail(f"--role must be one of {', '.join(INTEGRATION_ROLES)}")
    try:
        tenant_id, key_id, key = asyncio.run(
            create_api_key(
                get_settings(),
                tenant=tenant,
                name=name,
                role=role,
                scopes=scope,
                expires_in_days=expires_in_days,
            )
        )
    except ValueError as exc:
        raise _fail(f"--scope: {exc}") from None
    typer.echo(f"key id={key_id} tenant={tenant} tenant_id={tenant_id} role={role}")
    typer.echo(f"X-API-Key: {key}")


@apikeys_app.command("rotate")
def apikeys_rotate(key_id: Annotated[str, typer.Argument(help="The key's id")]) -> None:
    """Give a key a new secret (printed once); the old one stops working at once."""
    from app.jobs.accounts import rotate_api_key

    key = asyncio.run(rotate_api_key(get_settings(), _key_id(key_id)))
    if key is None:
        raise _fail(f"no active key {key_id}", 1)
    typer.echo(f"X-API-Key: {key}")


@apikeys_app.command("list")
def apikeys_list(tenant: Annotated[str, typer.Option(help="Agency (tenant) slug")]) -> None:
    """The agency's keys: id, name, role, scopes, expiry, last use (never a secret)."""
    from app.jobs.accounts import list_api_keys

    found = asyncio.run(list_api_keys(get_settings(), tenant))
    if found is None:
        raise _fail(f"no agency {tenant}", 1)
    for key in found:
        state = "revoked" if key["revoked_at"] else "active"
        scopes = ",".join(key["scopes"]) if key["scopes"] is not None else "(whole role)"
        typer.echo(
            f"{key['id']}  {key['name']}  {key['role']}  {state}  scopes={scopes}  "
            f"expires={key['expires_at'] or 'never'}  last_used={key['last_used_at'] or 'never'}"
        )


@apikeys_app.command("revoke")
def apikeys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id")]) -> None:
    """Revoke a key: it stops working at once."""
    from app.jobs.accounts import revoke_api_key

    if not asyncio.run(revoke_api_key(get_settings(), _key_id(key_id))):
        raise _fail(f"no active key {key_id}", 1)
    typer.echo(f"revoked {key_id}")
