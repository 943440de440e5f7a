"""Example requests and answers for the OpenAPI document: one small, consistent agency.

The ids agree across examples (the candidate submitted is the candidate created), so a
reader can follow one record from its create to its reads. A unit test checks each
example against the schema it illustrates. FastAPI leaves every null out of the document,
examples included, so an example's null fields read as absent.
"""

from __future__ import annotations

from typing import Any

TENANT = "3f1d2c4b-5a69-4788-9a0b-1c2d3e4f5a6b"
USER = "8c7b6a59-4837-4261-9f0e-d1c2b3a49586"
CANDIDATE = "0b8e4f0e-7d0c-4f55-9a43-5f0b4bb0c0de"
CLIENT = "6a1e2d3c-4b5a-4968-8776-655443322110"
CONTACT = "7b2f3e4d-5c6b-4a79-8887-766554433221"
REQUISITION = "1c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
SUBMISSION = "2d0e9f8a-7b6c-4d5e-8f3a-2b1c0d9e8f7a"
INTERVIEW = "4f2a1b0c-9d8e-4f7a-8b5c-4d3e2f1a0b9c"
FEEDBACK = "5a3b2c1d-0e9f-4a8b-9c6d-5e4f3a2b1c0d"
PLACEMENT = "3e1f0a9b-8c7d-4e6f-9a4b-3c2d1e0f9a8b"
NOTE = "6b4c3d2e-1f0a-4b9c-8d7e-6f5a4b3c2d1e"
SAVED_SEARCH = "7c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f"
DOCUMENT = "8d6e5f4a-3b2c-4d1e-8f9a-8b7c6d5e4f3a"
CREATED = "2026-03-02T09:15:00Z"
UPDATED = "2026-03-04T16:40:00Z"


def examples(summary: str, value: dict[str, Any]) -> dict[str, Any]:
    """`openapi_examples=` for a request body: one named example."""
    return {"example": {"summary": summary, "value": value}}


def _stored(fields: dict[str, Any], resource_id: str, version: int = 1) -> dict[str, Any]:
    return {
        **fields,
        "id": resource_id,
        "tenant_id": TENANT,
        "version": version,
        "created_at": CREATED,
        "updated_at": UPDATED if version > 1 else CREATED,
    }


CANDIDATE_FIELDS: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "emails": ["ada@example.com"],
    "phones": ["+442071838750"],
    "headline": "Staff backend engineer, Python and Kafka",
    "location": {"city": "London", "country": "GB", "remote": True},
    "skills": [
        {"name": "Python", "years": 9, "level": "expert"},
        {"name": "Kafka", "years": 4, "level": "advanced"},
    ],
    "work_history": [
        {
            "employer": "Analytical Engines Ltd",
            "title": "Staff Engineer",
            "start_date": "2019-04-01",
        }
    ],
    "education": [{"institution": "University of London", "degree": "BSc", "end_year": 2012}],
    "links": [{"kind": "github", "url": "https://github.com/ada"}],
    "source": "referral",
    "status": "active",
    "available_from": "2026-05-01",
    "desired_rate": {"amount": "95.00", "currency": "GBP", "unit": "hour"},
    "tags": ["backend", "streaming"],
    "consent": {"given_at": "2026-03-01T10:00:00Z", "basis": "consent"},
}
CANDIDATE_SNAPSHOT: dict[str, Any] = {
    **_stored(CANDIDATE_FIELDS, CANDIDATE),
    "owner_id": None,
    "desired_salary": None,
    "work_authorization": None,
    "willing_to_relocate": False,
    "merged_into": None,
}
CANDIDATE_PATCH: dict[str, Any] = {"headline": "Principal engineer, streaming", "tags": ["lead"]}

CLIENT_FIELDS: dict[str, Any] = {
    "name": "Northwind Analytics",
    "industry": "Software",
    "status": "active",
    "default_fee_percent": "0.2000",
    "payment_terms": "net 30",
}
CLIENT_SNAPSHOT: dict[str, Any] = {**_stored(CLIENT_FIELDS, CLIENT), "owner_id": USER}

CONTACT_FIELDS: dict[str, Any] = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "title": "VP Engineering",
    "email": "grace@northwind.example",
    "phone": "+14155550123",
    "role": "hiring_manager",
}
CONTACT_SNAPSHOT: dict[str, Any] = {**_stored(CONTACT_FIELDS, CONTACT), "client_id": CLIENT}

REQUISITION_FIELDS: dict[str, Any] = {
    "client_id": CLIENT,
    "contact_id": CONTACT,
    "title": "Senior Data Engineer",
    "description": "Build the streaming platform: Kafka, Python, PostgreSQL.",
    "required_skills": ["Python", "Kafka"],
    "nice_to_have_skills": ["Kubernetes"],
    "location": {"city": "Berlin", "country": "DE", "remote": "hybrid"},
    "employment_type": "contract",
    "openings": 2,
    "bill_rate": {"min": "90.00", "max": "120.00", "currency": "EUR"},
    "fee_percent": None,
    "priority": "hot",
    "target_date": "2026-06-30",
}
REQUISITION_SNAPSHOT: dict[str, Any] = {
    **_stored(REQUISITION_FIELDS, REQUISITION),
    "salary": None,
    "owner_id": None,
    "status": "open",
    "status_reason": None,
    "opened_at": CREATED,
    "filled_at": None,
}

SUBMISSION_FIELDS: dict[str, Any] = {
    "candidate_id": CANDIDATE,
    "requisition_id": REQUISITION,
    "source": "sourced",
}
SUBMISSION_SNAPSHOT: dict[str, Any] = {
    **_stored(SUBMISSION_FIELDS, SUBMISSION, version=2),
    "stage": "screened",
    # The move into `sourced` has `"from": null`, which FastAPI drops from the document's
    # examples (it writes no nulls): the example shows the move after it.
    "history": [{"from": "sourced", "to": "screened", "at": UPDATED, "actor": f"user:{USER}"}],
}
TRANSITION = {"to": "screened"}
PLACEMENT_TRANSITION = {
    "to": "placed",
    "start_date": "2026-05-01",
    "bill_rate": "110.00",
    "pay_rate": "85.00",
    "currency": "EUR",
}
PLACEMENT_SNAPSHOT: dict[str, Any] = {
    "id": PLACEMENT,
    "tenant_id": TENANT,
    "submission_id": SUBMISSION,
    "candidate_id": CANDIDATE,
    "requisition_id": REQUISITION,
    "client_id": CLIENT,
    "start_date": "2026-05-01",
    "end_date": None,
    "status": "active",
    "currency": "EUR",
    "bill_rate": "110.00",
    "pay_rate": "85.00",
    "margin": "25.00",
    "markup": "0.2941",
    "margin_percent": "0.2273",
    "salary": None,
    "fee_percent": None,
    "fee": None,
    "end_reason": None,
    "version": 1,
    "created_at": UPDATED,
    "updated_at": UPDATED,
}

INTERVIEW_FIELDS: dict[str, Any] = {
    "scheduled_at": "2026-03-10T14:00:00Z",
    "kind": "video",
    "interviewers": ["Grace Hopper"],
    "location": "https://meet.example/abc-defg-hij",
    "duration_minutes": 45,
}
INTERVIEW_SNAPSHOT: dict[str, Any] = {
    **_stored(INTERVIEW_FIELDS, INTERVIEW),
    "submission_id": SUBMISSION,
}
FEEDBACK_FIELDS: dict[str, Any] = {
    "rating": 4,
    "recommendation": "yes",
    "notes": "Strong on stream processing; wants more ownership.",
}
FEEDBACK_SNAPSHOT: dict[str, Any] = {
    **_stored(FEEDBACK_FIELDS, FEEDBACK),
    "interview_id": INTERVIEW,
    "author": f"user:{USER}",
}

NOTE_FIELDS: dict[str, Any] = {
    "subject_type": "candidate",
    "subject_id": CANDIDATE,
    "kind": "call",
    "body": "Prefers hybrid; notice period four weeks.",
}
NOTE_SNAPSHOT: dict[str, Any] = {**_stored(NOTE_FIELDS, NOTE), "author": f"user:{USER}"}

SAVED_SEARCH_FIELDS: dict[str, Any] = {
    "name": "Python + Kafka in Berlin",
    "q": "python AND (kafka OR pulsar) -php",
    "filters": {"city": "Berlin", "remote": True, "skills": ["python"]},
    "alerts": True,
}
SAVED_SEARCH_SNAPSHOT: dict[str, Any] = {
    **_stored(SAVED_SEARCH_FIELDS, SAVED_SEARCH),
    "filters": {
        "skills": ["python"],
        "skills_any": [],
        "city": "Berlin",
        "country": None,
        "remote": True,
        "available_before": None,
        "rate_min": None,
        "rate_max": None,
        "salary_min": None,
        "salary_max": None,
        "currency": None,
        "status": [],
        "tags": [],
    },
    "owner": f"user:{USER}",
}

DOCUMENT_SNAPSHOT: dict[str, Any] = {
    "id": DOCUMENT,
    "tenant_id": TENANT,
    "candidate_id": CANDIDATE,
    "filename": "ada-lovelace.pdf",
    "media_type": "application/pdf",
    "size": 48213,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "text_chars": 5120,
    "proposed_skills": ["PostgreSQL", "Kubernetes"],
    "created_at": CREATED,
}

TOKEN_REQUEST = {"username": "ada", "password": "correct-horse-battery"}
TOKEN_PAIR = {
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.signature",
    "refresh_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.refresh",
    "token_type": "bearer",
    "expires_in": 900,
}
ME = {"id": USER, "tenant_id": TENANT, "username": "ada", "role": "recruiter"}
