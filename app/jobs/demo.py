"""`refactortrack demo-data`: a realistic agency, published as commands like an integration.

Clients with contacts, open requisitions, candidates with skills, and submissions spread
over the pipeline (some rejected, some placed) by a few recruiters, applied by the running
worker. The history is spread over the past weeks, each step dated (`occurred_at`, which
only a job may set: domain/backdating.py), so the dashboard shows what an agency would
see: durations in days, activity at many hours, weeks to compare.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from rich.progress import Progress

from app.jobs.accounts import create_user
from app.jobs.sending import CommandSender
from core.clock import utcnow
from core.settings import Settings
from topics.envelopes import Actor, CommandEnvelope
from topics.names import (
    CANDIDATE_COMMANDS,
    CLIENT_COMMANDS,
    PIPELINE_COMMANDS,
    REQUISITION_COMMANDS,
    TopicSpec,
)

FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Ken",
    "Margaret",
    "Linus",
    "Radia",
    "Donald",
    "Frances",
    "John",
    "Katherine",
    "Dennis",
    "Sophie",
    "Tim",
    "Hedy",
    "Niklaus",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Thompson",
    "Hamilton",
    "Torvalds",
    "Perlman",
    "Knuth",
    "Allen",
    "McCarthy",
    "Johnson",
    "Ritchie",
    "Wilson",
    "Berners",
    "Lamarr",
    "Wirth",
    "Kay",
    "Backus",
]
CITIES = [
    ("Berlin", "DE"),
    ("Munich", "DE"),
    ("London", "GB"),
    ("Amsterdam", "NL"),
    ("Austin", "US"),
    ("New York", "US"),
    ("Toronto", "CA"),
    ("Lisbon", "PT"),
]
ROLES = [
    ("Backend Engineer", ["Python", "PostgreSQL", "Kafka"]),
    ("Frontend Engineer", ["TypeScript", "React"]),
    ("Platform Engineer", ["Kubernetes", "Terraform", "AWS"]),
    ("Data Engineer", ["Python", "Spark", "Airflow"]),
    ("Go Developer", ["Go", "gRPC", "Docker"]),
    ("Java Developer", ["Java", "Spring", "Kafka"]),
]
COMPANIES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark Industries",
    "Wayne Tech",
    "Soylent",
    "Cyberdyne",
    "Tyrell",
    "Aperture",
    "Vandelay",
]
SENIORITY = ["Senior", "Staff", "Lead", ""]
PATH = ["screened", "submitted", "client_review", "interviewing", "offered"]
# The recruiters whose work the demo shows (users of the demo agency, `<name>@<agency>`).
RECRUITERS = ["ada", "grace", "linus", "radia"]
# How far back the demo's history goes, and the wait (hours, low..high) before each stage.
HISTORY = timedelta(weeks=6)
WAIT_HOURS: dict[str, tuple[float, float]] = {
    "screened": (2, 30),
    "submitted": (3, 48),
    "client_review": (1, 24),
    "interviewing": (24, 120),
    "offered": (48, 168),
    "placed": (24, 96),
    "rejected": (12, 96),
}
SYSTEM = Actor(id="demo-data", kind="system")


@dataclass(frozen=True, slots=True)
class Step:
    """One command of the demo: its aggregate key, type and payload, when it happened
    (None: now) and who did it."""

    key: UUID
    type: str
    payload: dict[str, Any]
    at: datetime | None = None
    actor: Actor = SYSTEM


def _envelope(tenant_id: UUID, step: Step) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type=step.type,
        tenant_id=tenant_id,
        actor=step.actor,
        issued_at=utcnow(),
        occurred_at=step.at,
        payload=step.payload,
    )


OUTCOME_TIMEOUT_SECONDS = 600.0


class DemoLoader:
    def __init__(
        self,
        sender: CommandSender,
        tenant_id: UUID,
        seed: int,
        recruiters: Sequence[Actor] = (SYSTEM,),
        now: datetime | None = None,
    ) -> None:
        self.sender = sender
        self.settings = sender.settings
        self.tenant_id = tenant_id
        self.random = random.Random(seed)
        self.recruiters = list(recruiters)
        self.now = now or utcnow()

    def _after(self, at: datetime, stage: str) -> datetime:
        """A moment some hours after `at`, as the next step towards `stage` would come."""
        low, high = WAIT_HOURS[stage]
        return at + timedelta(hours=self.random.uniform(low, high))

    async def publish(
        self,
        progress: Progress,
        label: str,
        topic: TopicSpec,
        commands: Sequence[Step | tuple[UUID, str, dict[str, Any]]],
    ) -> int:
        """Send commands, wait until the worker has handled each; returns how many applied."""
        task = progress.add_task(label, total=len(commands))
        ids = []
        for command in commands:
            step = command if isinstance(command, Step) else Step(*command)
            envelope = _envelope(self.tenant_id, step)
            ids.append(envelope.command_id)
            await self.sender.send(topic.name(self.settings.topic_namespace), step.key, envelope)
        await self.sender.flush()
        applied = 0
        async for found in self.sender.outcomes(
            self.tenant_id, ids, timeout=OUTCOME_TIMEOUT_SECONDS
        ):
            progress.advance(task, len(found))
            applied += sum(1 for status, _ in found.values() if status == "applied")
        return applied

    def _submission(
        self, pid: UUID, req: tuple[UUID, int, datetime], filled: dict[UUID, int]
    ) -> list[Step]:
        """One candidate's way through a requisition's pipeline, each step dated after the
        one before; the way stops where the next step would fall after now."""
        r = self.random
        rid, openings, opened = req
        sid, actor = uuid.uuid4(), r.choice(self.recruiters)
        at = opened + timedelta(hours=r.uniform(2, 96))
        if at >= self.now:
            at = self.now - timedelta(hours=r.uniform(0.5, 12))
        move = {"submission_id": str(sid)}
        create = {"candidate_id": str(pid), "requisition_id": str(rid), "source": "demo"}
        steps = [Step(sid, "submission.create", {**move, **create}, at, actor)]
        depth = r.randrange(0, len(PATH) + 1)
        for stage in PATH[:depth]:
            at = self._after(at, stage)
            if at > self.now:
                return steps
            steps.append(Step(sid, "submission.transition", {**move, "to": stage}, at, actor))
        if depth == len(PATH) and filled.get(rid, 0) < openings:
            at = self._after(at, "placed")
            if at <= self.now:
                filled[rid] = filled.get(rid, 0) + 1
                placed = {
                    "to": "placed",
                    "start_date": str(at.date() + timedelta(days=30)),
                    "bill_rate": "110",
                    "pay_rate": "80",
                    "currency": "EUR",
                }
                steps.append(Step(sid, "submission.transition", {**move, **placed}, at, actor))
        elif r.random() < 0.25:
            at = self._after(at, "rejected")
            if at <= self.now:
                rejected = {
                    "to": "rejected",
                    "reason": "not a fit",
                    "rejected_by": r.choice(["client", "agency"]),
                }
                steps.append(Step(sid, "submission.transition", {**move, **rejected}, at, actor))
        return steps

    async def run(self, n_candidates: int) -> dict[str, int]:
        r = self.random
        with Progress() as progress:
            client_ids = [uuid.uuid4() for _ in COMPANIES]
            await self.publish(
                progress,
                "clients",
                CLIENT_COMMANDS,
                [
                    (
                        cid,
                        "client.create",
                        {
                            "client_id": str(cid),
                            "name": name,
                            "status": "active",
                            "industry": "Technology",
                            "default_fee_percent": "0.2",
                            "payment_terms": "net 30",
                        },
                    )
                    for cid, name in zip(client_ids, COMPANIES, strict=True)
                ],
            )
            contact_ids = {cid: uuid.uuid4() for cid in client_ids}
            await self.publish(
                progress,
                "contacts",
                CLIENT_COMMANDS,
                [
                    (
                        cid,
                        "contact.create",
                        {
                            "contact_id": str(contact_ids[cid]),
                            "client_id": str(cid),
                            "first_name": r.choice(FIRST),
                            "last_name": r.choice(LAST),
                            "role": "hiring_manager",
                        },
                    )
                    for cid in client_ids
                ],
            )
            # Requisitions opened over the weeks of history, the last a few days ago.
            reqs: list[tuple[UUID, int, datetime]] = []
            commands: list[Step | tuple[UUID, str, dict[str, Any]]] = []
            span = HISTORY.total_seconds() / 3600
            for cid in client_ids:
                for _ in range(3):
                    rid, (title, skills) = uuid.uuid4(), r.choice(ROLES)
                    city, country = r.choice(CITIES)
                    openings = r.choice([1, 1, 2])
                    opened = self.now - timedelta(hours=r.uniform(72, span))
                    reqs.append((rid, openings, opened))
                    low = r.randrange(70, 110)
                    commands.append(
                        Step(
                            rid,
                            "requisition.create",
                            {
                                "requisition_id": str(rid),
                                "client_id": str(cid),
                                "contact_id": str(contact_ids[cid]),
                                "title": title,
                                "required_skills": skills,
                                "openings": openings,
                                "priority": r.choice(["hot", "warm", "warm", "cold"]),
                                "location": {
                                    "city": city,
                                    "country": country,
                                    "remote": r.choice(["onsite", "hybrid", "remote"]),
                                },
                                "bill_rate": {
                                    "min": str(low),
                                    "max": str(low + 30),
                                    "currency": "EUR",
                                },
                                "fee_percent": "0.2",
                            },
                            at=opened,
                        )
                    )
            await self.publish(
                progress,
                "requisitions",
                REQUISITION_COMMANDS,
                commands,
            )
            people = [uuid.uuid4() for _ in range(n_candidates)]
            commands = []
            for pid in people:
                first, last = r.choice(FIRST), r.choice(LAST)
                title, skills = r.choice(ROLES)
                city, country = r.choice(CITIES)
                commands.append(
                    Step(
                        pid,
                        "candidate.create",
                        {
                            "candidate_id": str(pid),
                            "first_name": first,
                            "last_name": last,
                            "emails": [f"{first}.{last}.{pid.hex[:6]}@example.com".lower()],
                            "headline": f"{r.choice(SENIORITY)} {title}".strip(),
                            "skills": [{"name": s, "years": r.randrange(1, 12)} for s in skills],
                            "location": {
                                "city": city,
                                "country": country,
                                "remote": r.random() < 0.5,
                            },
                            "source": r.choice(["job_board", "referral", "sourced", "integration"]),
                            "available_from": str(
                                date.today() + timedelta(days=r.randrange(0, 90))
                            ),
                            "tags": r.sample(["contract", "permanent", "relocation", "senior"], 2),
                        },
                        at=self.now - HISTORY - timedelta(hours=r.uniform(0, 240)),
                    )
                )
            await self.publish(progress, "candidates", CANDIDATE_COMMANDS, commands)
            steps: list[Step] = []
            filled: dict[UUID, int] = {}
            for pid in r.sample(people, min(len(people), len(reqs) * 6)):
                steps.extend(self._submission(pid, r.choice(reqs), filled))
            # Every submission exists before any moves, so that a requisition filled
            # early does not turn away submissions sent to it at the same time.
            creates = [c for c in steps if c.type == "submission.create"]
            moves = [c for c in steps if c.type != "submission.create"]
            created = await self.publish(progress, "submissions", PIPELINE_COMMANDS, creates)
            await self.publish(progress, "stage moves", PIPELINE_COMMANDS, moves)
        return {
            "clients": len(client_ids),
            "requisitions": len(reqs),
            "candidates": len(people),
            "submissions": created,
            "placements": sum(filled.values()),
        }


async def load_demo(
    settings: Settings, tenant: str, n_candidates: int, seed: int
) -> dict[str, int]:
    recruiters = await demo_recruiters(settings, tenant)
    async with CommandSender(settings, poll_seconds=0.2) as sender:
        tenant_id = await sender.ensure_tenant(tenant)
        return await DemoLoader(sender, tenant_id, seed, recruiters).run(n_candidates)


async def demo_recruiters(settings: Settings, tenant: str) -> list[Actor]:
    """The demo agency's recruiters, as users (`ada@<agency>`, …) whose submissions the
    leaderboard shows. Their passwords are random and never shown: they exist to be named,
    not to log in (an admin may set one with `refactortrack users create`)."""
    actors = []
    for name in RECRUITERS:
        _, user_id = await create_user(
            settings,
            tenant=tenant,
            username=f"{name}@{tenant}",
            password=secrets.token_urlsafe(24),
            role="recruiter",
        )
        actors.append(Actor(id=str(user_id), kind="user"))
    return actors
