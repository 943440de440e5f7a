"""The scenarios: each starts its own gateway and workers, offers load, takes something away,
gives it back, and audits what the stores hold.

Each returns a ScenarioResult (report.py); none raises for a missed target, only for a
harness that could not do its job.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tests.faults.audit import (
    committed_offsets,
    doubled_events,
    followers_caught_up,
    read_range,
    read_store,
    settle,
    topic_ends,
)
from tests.faults.load import (
    HttpLoad,
    TopicCommand,
    TopicLoad,
    create_envelope,
    marker,
    publish_raw,
)
from tests.faults.report import Check, Outage, ScenarioResult, tally
from tests.faults.system import Agency, FaultSystem, Harness, fault_system
from topics.names import CANDIDATE_COMMANDS, CANDIDATE_EVENTS

STORES = ("postgres", "redis", "opensearch", "ferretdb")

# Load goes on this long after the last fault is over, to see the system apply again.
TAIL_SECONDS = 20.0


class Tail:
    """Keeps the load going until the fault script says how long, then `TAIL_SECONDS` more."""

    def __init__(self) -> None:
        self.until: float | None = None

    def end_after(self, moment: float) -> None:
        self.until = moment + TAIL_SECONDS

    def more(self) -> bool:
        return self.until is None or time.time() < self.until


@dataclass(frozen=True)
class Scale:
    """How much load each scenario offers; `full()` is `make faults`, `short()` is CI's."""

    kill_http: int
    kill_http_rate: float
    kill_pairs: int
    kill_topic_rate: float
    kills: int
    kill_every: float
    outage_http: int
    outage_rate: float
    outage_at: float
    outage_seconds: float
    poison_valid: int
    poison: int
    poison_tail: int
    sigterm_backlog: int
    sigterm_tail: int

    @classmethod
    def full(cls) -> Scale:
        return cls(
            kill_http=12_000,
            kill_http_rate=60.0,
            kill_pairs=4_000,
            kill_topic_rate=40.0,
            kills=5,
            kill_every=35.0,
            outage_http=8_000,
            outage_rate=100.0,
            outage_at=15.0,
            outage_seconds=30.0,
            poison_valid=4_000,
            poison=1_000,
            poison_tail=200,
            sigterm_backlog=6_000,
            sigterm_tail=300,
        )

    @classmethod
    def short(cls) -> Scale:
        return cls(
            kill_http=900,
            kill_http_rate=20.0,
            kill_pairs=300,
            kill_topic_rate=10.0,
            kills=1,
            kill_every=10.0,
            outage_http=1_000,
            outage_rate=25.0,
            outage_at=8.0,
            outage_seconds=15.0,
            poison_valid=300,
            poison=120,
            poison_tail=30,
            sigterm_backlog=1_500,
            sigterm_tail=60,
        )


def _run_id() -> str:
    return uuid.uuid4().hex[:8]


async def _until(t0: float, offset: float) -> None:
    await asyncio.sleep(max(0.0, t0 + offset - time.time()))


async def _finish(
    result: ScenarioResult,
    harness: Harness,
    agency: Agency,
    *,
    http: HttpLoad | None = None,
    topic_commands: list[TopicCommand] | None = None,
    events_from: dict[int, int],
    load_seconds: float,
) -> None:
    """Wait for the outcomes, read the stores and the event topic, and tally."""
    settings = harness.settings
    topic_commands = topic_commands or []
    ids = [c.command_id for c in (http.commands if http else []) if c.command_id]
    ids += [str(c.envelope.command_id) for c in topic_commands if c.accepted]
    result.evidence["settle"] = await settle(settings, agency.tenant_id, ids)
    view = await read_store(settings, agency.tenant_id)
    events_topic = CANDIDATE_EVENTS.name(settings.topic_namespace)
    events = doubled_events(await read_range(settings, events_topic, events_from), agency.tenant_id)
    result.evidence["events"] = events
    tally(
        result,
        view,
        http.commands if http else [],
        topic_commands,
        load_seconds=load_seconds,
        doubled_events=int(events["doubled"]),
    )
    rows = len({row.id for rows in view.rows.values() for row in rows})
    followers = await followers_caught_up(settings, agency.tenant_id, rows)
    result.evidence["followers"] = followers
    result.checks.append(
        Check(
            "followers",
            followers["search"] == rows and followers["profiles"] == rows,
            f"{rows} candidates in Postgres, {followers['search']} in the search index, "
            f"{followers['profiles']} profiles in MongoDB",
        )
    )


async def _with_load(
    system: FaultSystem,
    agency: Agency,
    run: str,
    *,
    http_count: int,
    http_rate: float,
    fault: Callable[[float], Awaitable[None]],
    tail: Tail,
    topic_pairs: int = 0,
    topic_rate: float = 1.0,
) -> tuple[HttpLoad, TopicLoad | None, float]:
    """Run the load and the fault script side by side; the fault gets the load's start and
    must call `tail.end_after` (the HTTP load goes on until then)."""
    settings = system.harness.settings
    http = HttpLoad(system.base_url, agency.token, run, http_rate, http_count, more=tail.more)
    topic = (
        TopicLoad(
            settings,
            CANDIDATE_COMMANDS.name(settings.topic_namespace),
            agency.tenant_id,
            run,
            topic_rate,
            topic_pairs,
        )
        if topic_pairs
        else None
    )
    t0 = time.time()

    async def faulted() -> None:
        try:
            await fault(t0)
        finally:
            if tail.until is None:
                tail.end_after(time.time())

    loads = [http.run_load()] + ([topic.run_load()] if topic else [])
    await asyncio.gather(*loads, faulted())
    return http, topic, time.time() - t0


# 1. ----------------------------------------------------------------------------------------


async def kill_worker(harness: Harness, scale: Scale) -> ScenarioResult:
    """kill -9 the domain worker `kills` times under load; a supervisor restarts it at once.

    The worker is back, as a server is back once it answers (`stack.up` waits for that),
    when the new process runs: its first log line. Its interpreter's start-up before that
    (3 s of CPU, three times as long on a machine shared with other test runs) is the
    machine's, not the system's recovery, and is kept as `started_after_spawn_seconds`.
    """
    result = ScenarioResult("kill9_worker", f"kill -9 the domain worker x{scale.kills} under load")
    with fault_system(harness, result.name) as system:
        agency = await system.agency()
        events_from = await topic_ends(
            harness.settings, CANDIDATE_EVENTS.name(harness.settings.topic_namespace)
        )
        run = _run_id()
        tail = Tail()

        async def fault(t0: float) -> None:
            for n in range(scale.kills):
                await _until(t0, scale.kill_every * (n + 0.5))
                down_at = time.time()
                system.signal_worker(signal.SIGKILL)
                await system.wait_worker_exit(10)
                spawned_at = system.start_worker()
                back_at = await system.wait_worker_started()
                outage = Outage(f"kill {n + 1}", down_at, back_at)
                result.outages.append(outage)
                outage.notes["started_after_spawn_seconds"] = round(back_at - spawned_at, 1)
                outage.notes["ready_after_seconds"] = round(
                    await system.wait_worker_ready() - back_at, 1
                )
                outage.notes["log"] = str(system.worker_log)
            tail.end_after(time.time())

        http, topic, seconds = await _with_load(
            system,
            agency,
            run,
            http_count=scale.kill_http,
            http_rate=scale.kill_http_rate,
            topic_pairs=scale.kill_pairs,
            topic_rate=scale.kill_topic_rate,
            fault=fault,
            tail=tail,
        )
        result.checks.append(
            Check(
                "kills",
                len(result.outages) == scale.kills,
                f"{len(result.outages)} of {scale.kills} kills done",
            )
        )
        await _finish(
            result,
            harness,
            agency,
            http=http,
            topic_commands=topic.commands if topic else [],
            events_from=events_from,
            load_seconds=seconds,
        )
        result.evidence["worker_logs"] = [str(p) for p in system.logs()]
    return result


# 2 and 3. ----------------------------------------------------------------------------------


async def server_outage(
    harness: Harness, scale: Scale, server: str, *, kill: bool = False
) -> ScenarioResult:
    """Take one server away under HTTP load for `outage_seconds`, then bring it back."""
    verb = "kill -9" if kill else "stop"
    result = ScenarioResult(
        f"{server}_down", f"{verb} {server} for {scale.outage_seconds:.0f} s under load"
    )
    stack = harness.stack
    if stack is None:
        result.skipped = "needs the private stack (never stops a shared server)"
        return result
    with fault_system(harness, result.name) as system:
        agency = await system.agency()
        events_from = await topic_ends(
            harness.settings, CANDIDATE_EVENTS.name(harness.settings.topic_namespace)
        )
        tail = Tail()

        async def fault(t0: float) -> None:
            await _until(t0, scale.outage_at)
            down_at = time.time()
            try:
                if kill:
                    await asyncio.to_thread(stack.kill, server)
                else:
                    await asyncio.to_thread(stack.down, server)
                stopped_at = time.time()
                await _until(down_at, scale.outage_seconds)
                started_at = time.time()
                await asyncio.to_thread(stack.up, server)
            finally:
                # Whatever happened, the server must not stay down for the next scenario.
                if not await asyncio.to_thread(stack.is_up, server):
                    await asyncio.to_thread(stack.up, server)
            back_at = time.time()
            tail.end_after(back_at)
            result.outages.append(
                Outage(
                    server,
                    down_at,
                    back_at,
                    notes={
                        "stop_seconds": round(stopped_at - down_at, 1),
                        "start_seconds": round(back_at - started_at, 1),
                        "down_seconds": round(back_at - down_at, 1),
                    },
                )
            )

        http, _, seconds = await _with_load(
            system,
            agency,
            _run_id(),
            http_count=scale.outage_http,
            http_rate=scale.outage_rate,
            fault=fault,
            tail=tail,
        )
        await _finish(
            result, harness, agency, http=http, events_from=events_from, load_seconds=seconds
        )
        result.evidence["worker_alive"] = system.worker_alive()
    return result


# 4. ----------------------------------------------------------------------------------------


def poison_values(run: str, n: int) -> list[bytes | None]:
    """Messages that are not command envelopes, of every shape we could think of."""
    tenant = str(uuid.uuid4())
    envelope = {
        "command_id": str(uuid.uuid4()),
        "type": "candidate.create",
        "tenant_id": tenant,
        "actor": {"id": "poison", "kind": "system"},
        "issued_at": "2026-01-01T00:00:00Z",
        "payload": {"run": run},
    }
    kinds: list[bytes | None] = [
        b"\x00\xff\xfe not utf-8 " + run.encode(),
        f"not json {run}".encode(),
        b"[]",
        b"{}",
        b"",
        None,  # a tombstone on a command topic
        json.dumps({**envelope, "tenant_id": "not-a-uuid"}).encode(),
        json.dumps({**envelope, "command_id": 42}).encode(),
        json.dumps({**envelope, "issued_at": "yesterday"}).encode(),
        json.dumps({k: v for k, v in envelope.items() if k != "payload"}).encode(),
        json.dumps({**envelope, "actor": "nobody"}).encode(),
        b"[" * 100_000 + b"]" * 100_000,  # nesting far past any parser's depth
        json.dumps({**envelope, "payload": None, "pad": "x" * 200_000}).encode(),
        b'{"command_id": "' + b"\\u0000" * 1000 + b'"}',
    ]
    return [kinds[i % len(kinds)] for i in range(n)]


async def poison(harness: Harness, scale: Scale) -> ScenarioResult:
    """Poison messages mixed into valid creates on the candidates' command topic."""
    result = ScenarioResult(
        "poison", f"{scale.poison:,} poison messages among {scale.poison_valid:,} valid"
    )
    settings = harness.settings
    topic = CANDIDATE_COMMANDS.name(settings.topic_namespace)
    dlq = CANDIDATE_COMMANDS.dlq(settings.topic_namespace)
    with fault_system(harness, result.name) as system:
        agency = await system.agency()
        events_from = await topic_ends(settings, CANDIDATE_EVENTS.name(settings.topic_namespace))
        dlq_from = await topic_ends(settings, dlq)
        run = _run_id()
        poisons = poison_values(run, scale.poison)
        every = max(1, scale.poison_valid // max(1, scale.poison))
        valid: list[TopicCommand] = []
        messages: list[tuple[bytes | None, bytes | None]] = []
        slots: list[TopicCommand | None] = []
        p = 0
        for i in range(scale.poison_valid + scale.poison_tail):
            if i < scale.poison_valid and i % every == 0 and p < len(poisons):
                messages.append((f"poison-{run}-{p}".encode(), poisons[p]))
                slots.append(None)
                p += 1
            email = marker(run, "valid", i)
            envelope = create_envelope(agency.tenant_id, email, i)
            key = str(envelope.payload["candidate_id"])
            cmd = TopicCommand(envelope, key, email, time.time())
            valid.append(cmd)
            messages.append((key.encode(), envelope.model_dump_json().encode()))
            slots.append(cmd)
        while p < len(poisons):  # whatever the spacing left over
            messages.append((f"poison-{run}-{p}".encode(), poisons[p]))
            slots.append(None)
            p += 1
        t0 = time.time()
        placed = await publish_raw(settings, topic, messages)
        for slot, (partition, offset) in zip(slots, placed, strict=True):
            if slot is not None:
                slot.partition, slot.offset, slot.acked_at = partition, offset, time.time()
        seconds = time.time() - t0
        await _finish(
            result,
            harness,
            agency,
            topic_commands=valid,
            events_from=events_from,
            load_seconds=seconds,
        )
        result.sent = len(messages)
        dead = [
            r
            for r in await read_range(settings, dlq, dlq_from)
            if (r.key or b"").startswith(f"poison-{run}-".encode())
        ]
        keys = {r.key for r in dead}
        reasons = sorted(
            {(r.headers.get("reason") or b"?")[:80].decode(errors="replace") for r in dead}
        )
        result.evidence["dlq"] = {
            "poison_in_dlq": len(keys),
            "copies": len(dead),
            "reasons": reasons[:20],
        }
        result.checks.append(
            Check(
                "dlq", len(keys) == scale.poison, f"{len(keys)} of {scale.poison} poison in the DLQ"
            )
        )
        log = system.worker_log.read_text(errors="replace")
        crashes = [line for line in log.splitlines() if "crashed" in line.lower()][:5]
        alive = system.worker_alive()
        result.checks.append(
            Check(
                "agent alive",
                alive and not crashes,
                f"worker {'alive' if alive else 'dead'}; crash lines: {crashes or 'none'}",
            )
        )
    return result


# 5. ----------------------------------------------------------------------------------------


async def sigterm_worker(harness: Harness, scale: Scale) -> ScenarioResult:
    """SIGTERM the domain worker while it works through a backlog, then start another."""
    result = ScenarioResult("sigterm_worker", "SIGTERM the domain worker mid-batch")
    settings = harness.settings
    topic = CANDIDATE_COMMANDS.name(settings.topic_namespace)
    with fault_system(harness, result.name) as system:
        agency = await system.agency()
        events_from = await topic_ends(settings, CANDIDATE_EVENTS.name(settings.topic_namespace))
        run = _run_id()
        backlog = _creates(agency.tenant_id, run, "backlog", scale.sigterm_backlog)
        t0 = time.time()
        placed = await publish_raw(
            settings,
            topic,
            [(c.key.encode(), c.envelope.model_dump_json().encode()) for c in backlog],
        )
        for cmd, (partition, offset) in zip(backlog, placed, strict=True):
            cmd.partition, cmd.offset, cmd.acked_at = partition, offset, time.time()
        ids = [str(c.envelope.command_id) for c in backlog]
        started = time.monotonic()
        from tests.faults.audit import ledger_count

        done = 0
        while time.monotonic() - started < 120:
            done = await ledger_count(settings, agency.tenant_id, ids)
            if done > 0:
                break
            await asyncio.sleep(0.02)
        down_at = time.time()
        system.signal_worker(signal.SIGTERM)
        code = await system.wait_worker_exit(60)
        exited_at = time.time()
        if code is None:
            system.signal_worker(signal.SIGKILL)
            await system.wait_worker_exit(10)
        at_exit = await read_store(settings, agency.tenant_id)
        committed = await committed_offsets(settings, settings.worker_id, topic)
        applied_ids = {cid for cid, row in at_exit.ledger.items() if row.status == "applied"}
        uncommitted = [
            c
            for c in backlog
            if str(c.envelope.command_id) in applied_ids
            and c.offset is not None
            and c.offset >= committed.get(c.partition or 0, -1)
        ]
        skipped = [
            c
            for c in backlog
            if str(c.envelope.command_id) not in at_exit.ledger
            and c.offset is not None
            and c.offset < committed.get(c.partition or 0, -1)
        ]
        result.evidence["at_sigterm"] = {"applied_before_sigterm": done}
        result.evidence["at_exit"] = {
            "exit_code": code,
            "exit_seconds": round(exited_at - down_at, 1),
            "applied": len(applied_ids),
            "committed_offsets": committed,
            "applied_not_committed": len(uncommitted),
            "committed_not_applied": len(skipped),
        }
        result.checks.append(
            Check(
                "graceful exit",
                code == 0 and exited_at - down_at <= 30,
                f"exit code {code} after {exited_at - down_at:.1f} s",
            )
        )
        result.checks.append(
            Check(
                "offsets committed",
                not uncommitted and not skipped,
                f"{len(uncommitted)} applied but not committed (redelivered on restart), "
                f"{len(skipped)} committed but never applied",
            )
        )
        spawned_at = system.start_worker()
        back_at = await system.wait_worker_started()
        outage = Outage("SIGTERM", down_at, back_at)
        outage.notes["started_after_spawn_seconds"] = round(back_at - spawned_at, 1)
        result.outages.append(outage)
        outage.notes["ready_after_seconds"] = round(await system.wait_worker_ready() - back_at, 1)
        tail = _creates(agency.tenant_id, run, "tail", scale.sigterm_tail)
        for cmd in tail:
            cmd.sent_at = time.time()
        placed = await publish_raw(
            settings, topic, [(c.key.encode(), c.envelope.model_dump_json().encode()) for c in tail]
        )
        for cmd, (partition, offset) in zip(tail, placed, strict=True):
            cmd.partition, cmd.offset, cmd.acked_at = partition, offset, time.time()
        seconds = time.time() - t0
        await _finish(
            result,
            harness,
            agency,
            topic_commands=backlog + tail,
            events_from=events_from,
            load_seconds=seconds,
        )
        result.evidence["worker_logs"] = [str(p) for p in system.logs()]
    return result


def _creates(tenant_id: UUID, run: str, kind: str, n: int) -> list[TopicCommand]:
    out = []
    for i in range(n):
        email = marker(run, kind, i)
        envelope = create_envelope(tenant_id, email, i)
        out.append(
            TopicCommand(envelope, str(envelope.payload["candidate_id"]), email, time.time())
        )
    return out


Scenario = Callable[[Harness, Scale], Awaitable[ScenarioResult]]


def catalogue() -> dict[str, Scenario]:
    """Every scenario by name, in the order `make faults` runs them."""
    out: dict[str, Scenario] = {"kill9_worker": kill_worker, "poison": poison}
    out["sigterm_worker"] = sigterm_worker

    def outage(server: str, kill: bool) -> Scenario:
        async def run(harness: Harness, scale: Scale) -> ScenarioResult:
            return await server_outage(harness, scale, server, kill=kill)

        return run

    out["kafka_down"] = outage("kafka", True)
    for store in STORES:
        out[f"{store}_down"] = outage(store, False)
    return out


async def run_guarded(
    scenario: Scenario, harness: Harness, scale: Scale, name: str
) -> ScenarioResult:
    """A harness failure becomes the row's error, so the other scenarios still run."""
    started = time.monotonic()
    try:
        result = await scenario(harness, scale)
    except Exception as exc:
        result = ScenarioResult(name, name, error=f"{type(exc).__name__}: {str(exc)[:500]}")
    result.seconds = round(time.monotonic() - started, 1)
    return result


def summary(results: list[ScenarioResult]) -> dict[str, Any]:
    return {r.name: r.missed() for r in results}
