"""Retention: which candidates an agency's policy says are due for erasure, and why.

An agency may set a policy "erase candidates with no activity and no valid consent for
N months" (off unless set). A candidate is **due** when all of these hold:

- nothing happened to them for N calendar months: their **last activity** (the latest of
  the record's last change, their submissions' last stage moves, notes on them or on their
  submissions, documents attached, interviews and their feedback, and their placements'
  changes and end dates) is at least N months before `now`;
- they have no **valid consent**: a consent whose basis is `consent`, given by `now` and
  not expired. `contract` and `legitimate_interest` are not consent: they never hold a
  candidate back on their own (the inactivity period is how long the agency's legitimate
  interest lasts; a contract still running is an active placement, below);
- they are in no **open submission** (one not placed, rejected or withdrawn);
- they have no **active placement** (one neither completed nor terminated).

Everything here is pure: the caller reads the facts and passes `now`.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from uuid import UUID

from domain.pipeline import CLOSED_STAGES

ConsentBasis = Literal["consent", "legitimate_interest", "contract"]
CONSENT_BASES: tuple[ConsentBasis, ...] = get_args(ConsentBasis)

MIN_INACTIVE_MONTHS = 1
MAX_INACTIVE_MONTHS = 600
"""A policy's bounds: one month to fifty years."""

ConsentState = Literal["valid", "expired", "not_yet_given", "not_consent", "none", "unreadable"]
"""What a candidate's consent amounts to at `now`:

- `valid`: basis `consent`, given by now, not expired (holds the candidate back);
- `expired`: basis `consent` whose `expires_at` has passed;
- `not_yet_given`: `given_at` is after now;
- `not_consent`: basis `contract` or `legitimate_interest`;
- `none`: nothing recorded;
- `unreadable`: a stored consent that no longer reads (held back: never erase on a guess).
"""

ActivitySource = Literal["record", "submission", "note", "document", "interview", "placement"]
"""Where a candidate's last activity was found."""

Hold = Literal[
    "recent_activity", "valid_consent", "open_submission", "active_placement", "unreadable_consent"
]
"""Why a candidate is not due."""

ACTIVE_PLACEMENT = "active"


def check_consent_dates(given_at: datetime, expires_at: datetime | None) -> None:
    """Raise ValueError, saying what to fix, when a consent expires before it was given."""
    if expires_at is not None and expires_at <= given_at:
        raise ValueError("consent.expires_at must be after consent.given_at")


def check_inactive_months(months: int) -> None:
    """Raise ValueError, saying the bounds, for a policy period out of them."""
    if not MIN_INACTIVE_MONTHS <= months <= MAX_INACTIVE_MONTHS:
        raise ValueError(
            f"inactive months must be between {MIN_INACTIVE_MONTHS} and {MAX_INACTIVE_MONTHS}"
        )


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when
    that day does not exist: 31 March less one month is 28 or 29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def inactivity_cutoff(now: datetime, inactive_months: int) -> datetime:
    """A candidate whose last activity is at or before this instant has been inactive long
    enough."""
    return months_before(now, inactive_months)


def end_of_day(day: date) -> datetime:
    """The instant a date ends, in UTC: a placement that ends on a day was active all of it."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ConsentFacts:
    basis: str
    given_at: datetime
    expires_at: datetime | None = None


def consent_state(consent: ConsentFacts | None, now: datetime) -> ConsentState:
    if consent is None:
        return "none"
    if consent.basis != "consent":
        return "not_consent"
    if consent.given_at > now:
        return "not_yet_given"
    if consent.expires_at is not None and consent.expires_at <= now:
        return "expired"
    return "valid"


@dataclass(frozen=True, slots=True)
class CandidateFacts:
    """What the rule needs to know about one candidate."""

    candidate_id: UUID
    record_updated_at: datetime
    consent: ConsentFacts | None = None
    consent_unreadable: bool = False
    submission_stages: Sequence[str] = ()
    placement_statuses: Sequence[str] = ()
    submission_at: datetime | None = None
    """The latest change (stage move) of any of the candidate's submissions."""
    note_at: datetime | None = None
    document_at: datetime | None = None
    interview_at: datetime | None = None
    """The latest of the interviews' times (one still ahead counts), changes and feedback."""
    placement_at: datetime | None = None
    placement_ended: date | None = None
    """The latest end date of the candidate's placements."""

    def activity(self) -> dict[ActivitySource, datetime]:
        """Each kind of activity the candidate has, at its latest."""
        placement = [
            t
            for t in (
                self.placement_at,
                end_of_day(self.placement_ended) if self.placement_ended else None,
            )
            if t is not None
        ]
        found: dict[ActivitySource, datetime | None] = {
            "record": self.record_updated_at,
            "submission": self.submission_at,
            "note": self.note_at,
            "document": self.document_at,
            "interview": self.interview_at,
            "placement": max(placement) if placement else None,
        }
        return {source: at for source, at in found.items() if at is not None}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one candidate is due, with the facts that decided it."""

    candidate_id: UUID
    last_activity: datetime
    last_activity_source: ActivitySource
    consent: ConsentState
    consent_basis: str | None
    consent_expires_at: datetime | None
    held_by: list[Hold] = field(default_factory=list)
    """Every reason the candidate is not due; empty when due."""

    @property
    def due(self) -> bool:
        return not self.held_by


def judge(facts: CandidateFacts, inactive_months: int, now: datetime) -> Verdict:
    """Whether the candidate is due under a policy of `inactive_months`, at `now`."""
    activity = facts.activity()
    source, last = max(activity.items(), key=lambda item: item[1])
    state: ConsentState = (
        "unreadable" if facts.consent_unreadable else consent_state(facts.consent, now)
    )
    held: list[Hold] = []
    if last > inactivity_cutoff(now, inactive_months):
        held.append("recent_activity")
    if state == "valid":
        held.append("valid_consent")
    if state == "unreadable":
        held.append("unreadable_consent")
    if any(stage not in CLOSED_STAGES for stage in facts.submission_stages):
        held.append("open_submission")
    if ACTIVE_PLACEMENT in facts.placement_statuses:
        held.append("active_placement")
    return Verdict(
        candidate_id=facts.candidate_id,
        last_activity=last,
        last_activity_source=source,
        consent=state,
        consent_basis=facts.consent.basis if facts.consent else None,
        consent_expires_at=facts.consent.expires_at if facts.consent else None,
        held_by=held,
    )


def due_candidates(
    candidates: Iterable[CandidateFacts], inactive_months: int, now: datetime
) -> list[Verdict]:
    """The verdicts of those that are due, longest inactive first (then by id)."""
    due = [v for v in (judge(c, inactive_months, now) for c in candidates) if v.due]
    return sorted(due, key=lambda v: (v.last_activity, v.candidate_id))
