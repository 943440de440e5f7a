"""The whole auth lifecycle against the running system, as hostile and careless clients
meet it: stolen refresh tokens, disabled users, suspended agencies, scoped keys, and the
role matrix route by route."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from typing import Any

import httpx
import jwt
import pytest

from app.jobs.accounts import (
    create_api_key,
    list_api_keys,
    rotate_api_key,
    set_password,
    set_tenant_suspended,
    set_user_active,
)
from domain.permissions import ROLES, allowed
from tests.e2e.conftest import PASSWORD, ROOT, System, _agency, _make_agency, login
from tests.e2e.helpers import candidate_body, eventually
from tests.harness.processes import CLI
from tests.unit.test_permissions import EXPECTED_ROUTES

pytestmark = pytest.mark.stack


async def _login(api: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await api.post("/api/v1/auth/token", json={"username": username, "password": password})


async def _refresh(api: httpx.AsyncClient, token: str) -> httpx.Response:
    return await api.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def test_a_refresh_token_works_once_and_its_reuse_revokes_the_login(system: System) -> None:
    _, _, username = await _make_agency(system)
    async with httpx.AsyncClient(base_url=system.base_url) as api:
        first = (await _login(api, username)).json()
        second = await _refresh(api, first["refresh_token"])
        assert second.status_code == 200
        # The thief (or a confused client) replays the first refresh token...
        replay = await _refresh(api, first["refresh_token"])
        assert replay.status_code == 401
        assert "already used" in replay.json()["detail"]
        # ...and the legitimate holder's newer token of the same login stops working too.
        later = await _refresh(api, second.json()["refresh_token"])
        assert later.status_code == 401
        # A fresh login is a new family, unaffected.
        again = (await _login(api, username)).json()
        assert (await _refresh(api, again["refresh_token"])).status_code == 200


async def test_a_disabled_users_token_stops_working_within_seconds(system: System) -> None:
    _, _, username = await _make_agency(system)
    async with httpx.AsyncClient(base_url=system.base_url) as api:
        tokens = (await _login(api, username)).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert (await api.get("/api/v1/me", headers=bearer)).status_code == 200
        assert await set_user_active(system.settings, username, active=False)

        async def refused() -> bool:
            return (await api.get("/api/v1/me", headers=bearer)).status_code == 401

        await eventually(refused, timeout=5, what="the disabled user's token refused")
        assert (await _refresh(api, tokens["refresh_token"])).status_code == 401
        assert (await _login(api, username)).status_code == 401
        # Enabled again, they log in anew; the old token stays revoked.
        assert await set_user_active(system.settings, username, active=True)
        assert (await _login(api, username)).status_code == 200
        assert (await api.get("/api/v1/me", headers=bearer)).status_code == 401


async def test_a_new_password_revokes_earlier_tokens(system: System) -> None:
    _, _, username = await _make_agency(system)
    async with httpx.AsyncClient(base_url=system.base_url) as api:
        tokens = (await _login(api, username)).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert await set_password(system.settings, username, "a-brand-new-password")

        async def refused() -> bool:
            return (await api.get("/api/v1/me", headers=bearer)).status_code == 401

        await eventually(refused, timeout=5, what="the old token refused")
        assert (await _login(api, username)).status_code == 401
        assert (await _login(api, username, "a-brand-new-password")).status_code == 200


async def test_a_suspended_agency_is_refused_until_resumed(system: System) -> None:
    slug, _, username = await _make_agency(system)
    _, _, key = await create_api_key(system.settings, tenant=slug, name="board", role="viewer")
    async with httpx.AsyncClient(base_url=system.base_url) as api:
        bearer = {"Authorization": f"Bearer {(await _login(api, username)).json()['access_token']}"}
        assert await set_tenant_suspended(system.settings, slug, suspended=True)

        async def refused() -> bool:
            return (await api.get("/api/v1/me", headers=bearer)).status_code == 401

        await eventually(refused, timeout=5, what="the suspended agency's user refused")
        assert (await api.get("/api/v1/candidates", headers={"X-API-Key": key})).status_code == 401
        assert (await _login(api, username)).status_code == 401
        assert await set_tenant_suspended(system.settings, slug, suspended=False)
        assert (await _login(api, username)).status_code == 200
        assert (await api.get("/api/v1/candidates", headers={"X-API-Key": key})).status_code == 200


async def test_tokens_for_another_audience_are_refused(system: System) -> None:
    _, tenant_id, username = await _make_agency(system)
    async with httpx.AsyncClient(base_url=system.base_url) as api:
        access = (await _login(api, username)).json()["access_token"]
        me = (await api.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})).json()
        claims: dict[str, Any] = {
            "iss": system.settings.jwt_issuer,
            "aud": "another-service",
            "sub": me["id"],
            "tid": str(tenant_id),
            "role": "admin",
            "typ": "access",
            "iat": 1_900_000_000 - 10,
            "exp": 4_000_000_000,
            "jti": uuid.uuid4().hex,
        }
        forged = jwt.encode(claims, system.settings.jwt_secret, algorithm="HS256")
        r = await api.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401


async def test_keys_are_least_privilege_scoped_expiring_and_rotatable(system: System) -> None:
    slug, _, _ = await _make_agency(system)
    _, key_id, reader = await create_api_key(
        system.settings, tenant=slug, name="reader", role="recruiter"
    )
    _, _, writer = await create_api_key(
        system.settings,
        tenant=slug,
        name="writer",
        role="recruiter",
        scopes=["candidates:write", "candidates:read"],
    )
    _, _, expired = await create_api_key(
        system.settings, tenant=slug, name="old", role="recruiter", expires_in_days=-1
    )
    async with httpx.AsyncClient(base_url=system.base_url) as api:
        read = await api.get("/api/v1/candidates", headers={"X-API-Key": reader})
        assert read.status_code == 200
        denied = await api.post(
            "/api/v1/candidates", json=candidate_body(), headers={"X-API-Key": reader}
        )
        assert denied.status_code == 403
        assert "scopes" in denied.json()["detail"]
        written = await api.post(
            "/api/v1/candidates", json=candidate_body(), headers={"X-API-Key": writer}
        )
        assert written.status_code == 201
        clients = await api.get("/api/v1/clients", headers={"X-API-Key": writer})
        assert clients.status_code == 403
        assert (
            await api.get("/api/v1/candidates", headers={"X-API-Key": expired})
        ).status_code == 401
        rotated = await rotate_api_key(system.settings, key_id)
        assert rotated is not None
        old = await api.get("/api/v1/candidates", headers={"X-API-Key": reader})
        assert old.status_code == 401
        new = await api.get("/api/v1/candidates", headers={"X-API-Key": rotated})
        assert new.status_code == 200
    listed = {k["name"]: k for k in await list_api_keys(system.settings, slug) or []}
    assert listed["reader"]["last_used_at"] is not None
    assert listed["reader"]["scopes"] == sorted(
        s for s in listed["reader"]["scopes"] if s.endswith(":read")
    )
    assert listed["writer"]["scopes"] == ["candidates:read", "candidates:write"]


def _url(path: str) -> str:
    return "/api/v1" + re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)


async def test_the_role_matrix_route_by_route(system: System) -> None:
    slug = f"t-{uuid.uuid4().hex[:12]}"
    for role in ROLES:
        async with _agency(system, role=role, slug=slug) as agency:
            for (method, path), permission in sorted(EXPECTED_ROUTES.items()):
                if path == "/analytics/stream":
                    continue  # a stream that stays open; its permission is the unit test's
                r = await agency.client.request(method, _url(path), json={})
                refused = r.status_code == 403
                assert refused == (not allowed(role, permission)), (role, method, path, r.text)


async def test_a_bootstrap_admin_is_made_once_and_then_left_alone(system: System) -> None:
    """`users create --keep-existing`, as compose runs it at every start: the first run
    makes the admin, a later one (even with another password) changes nothing and does
    not void the admin's tokens."""
    username = f"first-admin-{uuid.uuid4().hex[:8]}"

    def bootstrap(password: str) -> str:
        env = {**os.environ, "REFACTORTRACK_PASSWORD": password}
        args = ["users", "create", "--tenant", f"b-{username}", "--username", username]
        done = subprocess.run(
            [CLI, *args, "--role", "admin", "--keep-existing"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout

    assert "admin" in bootstrap(PASSWORD)
    token = await login(system.base_url, username)
    assert "kept as it was" in bootstrap("another-password")
    async with httpx.AsyncClient(
        base_url=system.base_url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        assert (await client.get("/api/v1/candidates")).status_code == 200
    assert await login(system.base_url, username)
