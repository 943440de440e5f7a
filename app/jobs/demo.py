"""`refactortrack demo-data`: a realistic agency, published as commands like an integration.

Clients with contacts, open requisitions, candidates with skills, and submissions spread
over the pipeline (some rejected, some placed), applied by the running worker.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from rich.progress import Progress

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


def _envelope(tenant_id: UUID, type: str, payload: dict[str, Any]) -> CommandEnvelope:
    return CommandEnvelope(
        command_id=uuid.uuid4(),
        type=type,
        tenant_id=tenant_id,
        actor=Actor(id="demo-data", kind="system"),
        issued_at=utcnow(),
        payload=payload,
    )


OUTCOME_TIMEOUT_SECONDS = 600.0


class DemoLoader:
    def __init__(self, sender: CommandSender, tenant_id: UUID, seed: int) -> None:
        self.sender = sender
        self.settings = sender.settings
        self.tenant_id = tenant_id
        self.random = random.Random(seed)

    async def publish(
        self,
        progress: Progress,
        label: str,
        topic: TopicSpec,
        commands: Sequence[tuple[UUID, str, dict[str, Any]]],
    ) -> int:
        """Send commands, wait until the worker has handled each; returns how many applied."""
        task = progress.add_task(label, total=len(commands))
        ids = []
        for key, type, payload in commands:
            envelope = _envelope(self.tenant_id, type, payload)
            ids.append(envelope.command_id)
            await self.sender.send(topic.name(self.settings.topic_namespace), key, envelope)
        await self.sender.flush()
        applied = 0
        async for found in self.sender.outcomes(
            self.tenant_id, ids, timeout=OUTCOME_TIMEOUT_SECONDS
        ):
            progress.advance(task, len(found))
            applied += sum(1 for status, _ in found.values() if status == "applied")
        return applied

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
            reqs: list[tuple[UUID, int]] = []
            commands = []
            for cid in client_ids:
                for _ in range(3):
                    rid, (title, skills) = uuid.uuid4(), r.choice(ROLES)
                    city, country = r.choice(CITIES)
                    openings = r.choice([1, 1, 2])
                    reqs.append((rid, openings))
                    low = r.randrange(70, 110)
                    commands.append(
                        (
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
                    (
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
                    )
                )
            await self.publish(progress, "candidates", CANDIDATE_COMMANDS, commands)
            commands = []
            filled: dict[UUID, int] = {}
            for pid in r.sample(people, min(len(people), len(reqs) * 6)):
                rid, openings = r.choice(reqs)
                sid = uuid.uuid4()
                commands.append(
                    (
                        sid,
                        "submission.create",
                        {
                            "submission_id": str(sid),
                            "candidate_id": str(pid),
                            "requisition_id": str(rid),
                            "source": "demo",
                        },
                    )
                )
                depth = r.randrange(0, len(PATH) + 1)
                for stage in PATH[:depth]:
                    commands.append(
                        (sid, "submission.transition", {"submission_id": str(sid), "to": stage})
                    )
                if depth == len(PATH) and filled.get(rid, 0) < openings:
                    filled[rid] = filled.get(rid, 0) + 1
                    commands.append(
                        (
                            sid,
                            "submission.transition",
                            {
                                "submission_id": str(sid),
                                "to": "placed",
                                "start_date": str(date.today() + timedelta(days=30)),
                                "bill_rate": "110",
                                "pay_rate": "80",
                                "currency": "EUR",
                            },
                        )
                    )
                elif r.random() < 0.25:
                    commands.append(
                        (
                            sid,
                            "submission.transition",
                            {
                                "submission_id": str(sid),
                                "to": "rejected",
                                "reason": "not a fit",
                                "rejected_by": r.choice(["client", "agency"]),
                            },
                        )
                    )
            # Every submission exists before any moves, so that a requisition filled
            # early does not turn away submissions sent to it at the same time.
            creates = [c for c in commands if c[1] == "submission.create"]
            moves = [c for c in commands if c[1] != "submission.create"]
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
    async with CommandSender(settings, poll_seconds=0.2) as sender:
        tenant_id = await sender.ensure_tenant(tenant)
        return await DemoLoader(sender, tenant_id, seed).run(n_candidates)
