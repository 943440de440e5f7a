"""What sealing personal data costs: `python -m bench.encryption` (and the end of `make bench`).

Two measurements in one run:

- **End to end**: create throughput over REST and bulk import throughput, first with
  sealing on (as deployed), then with PERSONAL_DATA_SEALING=off (the baseline: no person
  keys, nothing sealed in topics or at rest, contact points in the clear), each against a
  gateway and workers of its own on the same stores. The sealed run goes first because the
  second system's `migrate` runs the at-rest backfill, which would otherwise seal the
  baseline's rows; so the baseline works on tables a little fuller, which if anything
  flatters sealing's cost by a hair.
- **Per candidate**: the cryptography one create does, timed alone in this process (no
  I/O): a person key made and wrapped, the command's personal fields sealed (gateway) and
  opened (worker), e-mail and phone sealed at rest, their contact-point and match-key blind
  indexes, the event sealed and opened once by a consumer, and the at-rest values opened
  for a read. Its inverse is the ceiling one core could seal at.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.table import Table

from bench.creates import console, login, throughput
from bench.environment import RESULTS, UNLIMITED, use_bench_stores
from bench.imports import import_throughput, write_candidates_csv
from core import crypto
from core.settings import get_settings
from stores import at_rest
from stores.keyring import index_key_of
from tests.harness.processes import running_system
from topics import personal
from topics import sealing as topic_sealing

ROOT = Path(__file__).resolve().parent.parent
MODES = ("on", "off")


def _candidate(i: int) -> dict[str, Any]:
    """A create's payload as an import row makes it: one e-mail, one phone."""
    return {
        "candidate_id": str(uuid.uuid4()),
        "first_name": "Ada",
        "last_name": f"Lovelace{i}",
        "emails": [f"ada.{i}@analytical-engines.example"],
        "phones": [f"+4930{i:08d}"],
        "headline": "Senior Python Engineer",
        "location": {"city": "Berlin", "country": "DE", "remote": True},
        "skills": [{"name": "Python", "years": 6}, {"name": "Kafka"}],
    }


def per_candidate(rounds: int) -> dict[str, float]:
    """Microseconds per candidate of each step of a create's cryptography."""
    tenant = uuid.uuid4()
    agency_key = crypto.new_key()
    index = at_rest.BlindIndex(tenant, 1, index_key_of(agency_key))
    command_paths = personal.COMMANDS["candidate.create"].paths
    event_paths = personal.EVENTS["candidate.created"].paths
    bodies = [_candidate(i) for i in range(rounds)]
    state: dict[str, Any] = {}

    def person_key(body: dict[str, Any]) -> None:
        state["key"] = crypto.new_key()
        context = f"rt/person-key/{tenant}/{body['candidate_id']}".encode()
        wrapped = crypto.seal(agency_key, state["key"], context)
        crypto.open_sealed(agency_key, wrapped, context)  # another process reads it

    def command(body: dict[str, Any]) -> None:
        subject = uuid.UUID(body["candidate_id"])
        sealed = topic_sealing.seal_fields(body, command_paths, state["key"], tenant, subject)
        topic_sealing.open_fields(sealed, command_paths, state["key"], tenant, subject)

    def at_rest_seal(body: dict[str, Any]) -> None:
        subject = uuid.UUID(body["candidate_id"])
        state["row"] = at_rest.seal_fields(
            {"emails": body["emails"], "phones": body["phones"]},
            at_rest.CANDIDATE_FIELDS,
            state["key"],
            tenant,
            subject,
        )

    def blind_indexes(body: dict[str, Any]) -> None:
        points = [("email", e) for e in body["emails"]] + [("phone", p) for p in body["phones"]]
        index.points(points)
        index.match_rows(uuid.UUID(body["candidate_id"]), body["emails"], body["phones"])

    def event(body: dict[str, Any]) -> None:
        subject = uuid.UUID(body["candidate_id"])
        sealed = topic_sealing.seal_fields(body, event_paths, state["key"], tenant, subject)
        topic_sealing.open_fields(sealed, event_paths, state["key"], tenant, subject)

    def at_rest_open(body: dict[str, Any]) -> None:
        subject = uuid.UUID(body["candidate_id"])
        at_rest.open_fields(state["row"], at_rest.CANDIDATE_FIELDS, state["key"], tenant, subject)

    steps: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
        ("person key made, wrapped, unwrapped", person_key),
        ("command sealed and opened", command),
        ("e-mail and phone sealed at rest", at_rest_seal),
        ("blind indexes (contact points, match keys)", blind_indexes),
        ("event sealed and opened", event),
        ("e-mail and phone opened for a read", at_rest_open),
    ]
    spent = dict.fromkeys((name for name, _ in steps), 0.0)
    for body in bodies:
        for name, step in steps:
            started = time.perf_counter()
            step(body)
            spent[name] += time.perf_counter() - started
    out = {name: seconds / rounds * 1e6 for name, seconds in spent.items()}
    out["total"] = sum(out.values())
    return out


async def end_to_end(n: int, concurrency: int, import_rows: int) -> dict[str, dict[str, float]]:
    """Create and import throughput with sealing on, then off."""
    import_file = RESULTS / "encryption-import.csv"
    write_candidates_csv(import_file, import_rows)
    figures: dict[str, dict[str, float]] = {}
    for mode in MODES:
        env = {**os.environ, **UNLIMITED, "PERSONAL_DATA_SEALING": mode}
        settings = get_settings().model_copy(update={"personal_data_sealing": mode})
        with running_system(env, RESULTS / "logs" / f"sealing-{mode}", ROOT) as system:
            console.print(f"[bold]sealing {mode}[/]: {n} creates, {concurrency} clients")
            token, tenant_id = await login(system.base_url)
            creates = await throughput(system.base_url, token, tenant_id, n, concurrency)
            console.print(f"  end-to-end {creates['e2e_rate']:.0f}/s")
            console.print(f"[bold]sealing {mode}[/]: import {import_rows:,} candidates")
            slug = f"bench-sealing-{mode}-{uuid.uuid4().hex[:6]}"
            imported = await import_throughput(settings, import_file, import_rows, slug)
            console.print(f"  {imported['every_store_rate']:.0f}/s into every store")
        figures[mode] = {**creates, **{f"import_{k}": v for k, v in imported.items()}}
    return figures


def report(e2e: dict[str, dict[str, float]], micro: dict[str, float]) -> Table:
    table = Table(title="What sealing personal data costs (sealed / PERSONAL_DATA_SEALING=off)")
    table.add_column("figure")
    table.add_column("sealed", justify="right")
    table.add_column("not sealed", justify="right")
    table.add_column("ratio", justify="right")
    on, off = e2e["on"], e2e["off"]
    for key, label in (
        ("e2e_rate", "create, end to end (REST, respond-async) /s"),
        ("accept_rate", "create, accepted by the gateway /s"),
        ("import_every_store_rate", "import into every store /s"),
        ("import_postgres_mongo_rate", "import into Postgres and MongoDB /s"),
    ):
        table.add_row(label, f"{on[key]:.0f}", f"{off[key]:.0f}", f"{on[key] / off[key]:.2f}")
    for name, micros in micro.items():
        table.add_row(f"per candidate: {name}", f"{micros:.1f} µs", "", "")
    table.add_row("one core could seal", f"{1e6 / micro['total']:.0f} candidates/s", "", "")
    return table


async def measure(n: int, concurrency: int, import_rows: int, rounds: int) -> dict[str, Any]:
    """Both measurements, printed and returned (also written to bench/results)."""
    console.print(f"[bold]per candidate[/]: the cryptography of {rounds:,} creates, no I/O")
    micro = per_candidate(rounds)
    e2e = await end_to_end(n, concurrency, import_rows)
    console.print(report(e2e, micro))
    figures = {"end_to_end": e2e, "per_candidate_us": micro}
    out = RESULTS / "encryption.json"
    out.write_text(json.dumps(figures, indent=1))
    console.print(f"raw figures: {out}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="creates of each throughput run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--import-rows", type=int, default=20_000, help="rows of each import")
    parser.add_argument("--rounds", type=int, default=5000, help="candidates timed per step")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    use_bench_stores()
    asyncio.run(measure(args.n, args.concurrency, args.import_rows, args.rounds))


if __name__ == "__main__":
    main()
