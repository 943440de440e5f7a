"""CPU per candidate of the pure steps a batch of creates takes through the domain worker
and its followers, with no stores: the command opened, validated, prepared, sealed at rest
and as events, dumped for the ledger and the batch event, then read back by the search
indexer and the changes feed. Keys come from a stand-in keyring (made in memory).

`python bench/batch_path.py [CSV] [--rounds N]` measures the code it imports: run it
with `PYTHONPATH=<a tree>` (e.g. `git archive main | tar -x -C /tmp/base`) to measure
that tree's code with this script, so two trees compare in one session. CPU time of this
process (`time.process_time`) with the garbage collector paused during the steps, so a
loaded machine and a collection falling in one step or another do not move the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, cast

import agents.processor as processor
from agents.candidates.handlers import prepare_create, validated_creates
from agents.changes.feed import changes_in
from agents.context import Applied, Result
from agents.search_indexer.agent import documents_from
from agents.search_indexer.events import readable_events
from app.jobs.flat_records import KINDS
from app.jobs.imports.files import read_file
from core import crypto
from core.settings import get_settings
from stores.at_rest import AtRest
from stores.keyring import Keyring
from stores.postgres.database import Database
from stores.sealing import Sealer
from topics.batches import batch_events
from topics.envelopes import Actor, CommandEnvelope, EventEnvelope

ROWS = 500


class MemoryKeys:
    """The keyring's `people` over keys made in memory."""

    sealing = True

    def __init__(self) -> None:
        self._keys: dict[tuple[uuid.UUID, uuid.UUID], bytes] = {}

    async def people(
        self,
        tenant_id: uuid.UUID,
        subject_ids: Iterable[uuid.UUID],
        *,
        create: Mapping[uuid.UUID, str] | None = None,
    ) -> dict[uuid.UUID, bytes]:
        wanted = set(subject_ids) | set(create or ())
        return {s: self._keys.setdefault((tenant_id, s), crypto.new_key()) for s in wanted}


async def measure(csv: Path, rounds: int) -> dict[str, float]:
    """µs of CPU per candidate, by step, over `rounds` batches of ROWS rows (after one
    round that warms up: the gazetteer, the phone metadata)."""
    settings = get_settings()
    keys = cast(Keyring, MemoryKeys())
    sealer = Sealer(keys, cast(Database, None))
    at_rest = AtRest(keys)
    tenant = uuid.uuid4()
    rows = []
    for row in read_file(csv, KINDS["candidates"]).rows[:ROWS]:
        payload = dict(row.payload or {})
        payload.update(candidate_id=str(uuid.uuid4()), row=row.line)
        rows.append(payload)
    batch = CommandEnvelope(
        command_id=uuid.uuid4(),
        type="candidate.create_batch",
        tenant_id=tenant,
        actor=Actor(id="import", kind="system"),
        reply=False,
        payload={"rows": rows},
    )
    [sealed] = await sealer.seal_commands([batch])
    value = sealed.model_dump_json().encode()
    times: dict[str, float] = {}
    for round_ in range(rounds + 1):
        if round_ == 1:
            times.clear()
        gc.collect()
        gc.disable()
        t = time.process_time()

        def lap(name: str, started: float) -> float:
            now = time.process_time()
            times[name] = times.get(name, 0.0) + now - started
            return time.process_time()

        command = processor._parse(value)
        assert isinstance(command, CommandEnvelope)
        t = lap("processor: parse the batch", t)
        units = processor._units([command]).units
        t = lap("processor: rows as commands", t)
        opened = [c for c in await sealer.open_commands(units) if c is not None]
        t = lap("processor: open sealed commands", t)
        payloads = validated_creates(opened)
        t = lap("handler: validate (one pass)", t)
        phones: dict[tuple[str, ...], list[str]] = {}
        news = [
            prepare_create(c, settings, p, phones)
            for c, p in zip(opened, payloads, strict=True)
            if not isinstance(p, Exception)
        ]
        t = lap("handler: prepare (normalise, dump)", t)
        await at_rest.seal_candidates(tenant, [n.record for n in news])
        t = lap("handler: seal at rest", t)
        results: list[Result] = [Applied(n.id, [n.event], resource=n.event.data) for n in news]
        results, _ = await processor._sealed_all(sealer, results)
        t = lap("processor: seal events", t)
        events = [e for r in results if isinstance(r, Applied) for e in r.events]
        dumped: dict[uuid.UUID, dict[str, Any]] = {
            e.event_id: e.model_dump(mode="json") for e in events
        }
        t = lap("processor: events made JSON-ready", t)
        values: list[bytes | None] = [
            e.model_dump_json().encode() for e in batch_events(command, events, dumped)
        ]
        t = lap("processor: the batch event's message", t)
        read: list[EventEnvelope] = list(readable_events(values, "candidate"))
        t = lap("search indexer: expand + validate", t)
        docs = documents_from(await sealer.open_events(read))
        t = lap("search indexer: open + documents", t)
        changes_in(values)
        lap("changes feed: expand + read", t)
        gc.enable()
        assert len(docs.docs) == len(news) == ROWS
    return {name: secs / rounds / ROWS * 1e6 for name, secs in times.items()}


def run_tree(tree: Path, csv: Path, rounds: int) -> dict[str, float]:
    """`measure` run over the code of `tree`, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, __file__, str(csv), "--rounds", str(rounds), "--json"],
        env=env,
        cwd=tree,
        check=True,
        capture_output=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def compare(base: Path, here: Path, csv: Path, rounds: int, repeats: int) -> str:
    """A table: each step's median µs per candidate, base's and this tree's, measured in
    turn (base, here, base, here, …) so both see the same machine."""
    runs: dict[str, list[dict[str, float]]] = {"base": [], "here": []}
    for _ in range(repeats):
        runs["base"].append(run_tree(base, csv, rounds))
        runs["here"].append(run_tree(here, csv, rounds))

    def median(which: str, step: str) -> float:
        values = sorted(r.get(step, 0.0) for r in runs[which])
        return values[len(values) // 2]

    steps = list(runs["here"][0])
    lines = [
        f"| step (µs of CPU per candidate) | {base} | this tree | ratio |",
        "|---|---:|---:|---:|",
    ]
    totals = [0.0, 0.0]
    for step in steps:
        b, h = median("base", step), median("here", step)
        totals[0] += b
        totals[1] += h
        lines.append(f"| {step} | {b:.1f} | {h:.1f} | {h / b if b else 0:.2f} |")
    lines.append(
        f"| **total** | **{totals[0]:.1f}** | **{totals[1]:.1f}** | "
        f"**{totals[1] / totals[0]:.2f}** |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("csv", type=Path, nargs="?", default=Path("bench/results/import.csv"))
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--json", action="store_true", help="the figures as one JSON line")
    args = parser.parse_args()
    figures = asyncio.run(measure(args.csv.resolve(), args.rounds))
    if args.json:
        print(json.dumps(figures))
        return
    print(f"code from {Path(processor.__file__).parent.parent}")
    for name, us in figures.items():
        print(f"{name:40s} {us:8.1f} µs")
    print(f"{'total':40s} {sum(figures.values()):8.1f} µs per candidate")


if __name__ == "__main__":
    main()
