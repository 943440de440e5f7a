"""A skill in the search box finds whoever has it, however and wherever it is written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Agency
from tests.e2e.helpers import candidate_body, eventually

pytestmark = pytest.mark.stack

PEOPLE: dict[str, dict[str, Any]] = {
    # Skills listed in written forms the analyser does not take for the plain name.
    "listed": {
        "headline": "Frontend Developer",
        "skills": [{"name": "React.js"}, {"name": "Go 1.21"}],
    },
    # Skills written only in a job's description.
    "job": {
        "headline": "Software Engineer",
        "skills": [],
        "work_history": [
            {
                "employer": "Hooli",
                "title": "Engineer",
                "description": "Built payments services with golang and Apache Kafka.",
            }
        ],
    },
    # A skill named only in the headline.
    "headline": {"headline": "Go Engineer (K8s)", "skills": []},
    # Ordinary words that are not skills: "go-to", "Spring 2019".
    "words": {
        "headline": "Engineer",
        "skills": [{"name": "Python 3"}],
        "work_history": [
            {
                "employer": "Initech",
                "title": "Engineer",
                "description": "The go-to person for on-call questions. Joined in Spring 2019.",
            }
        ],
    },
    # Skills only in the resume's text (uploaded below).
    "resume": {"headline": "Engineer", "skills": []},
}
RESUME = b"Day to day I work with Kafka and React. Let's go further: mentoring and hiring."


async def test_skills_are_found_in_any_written_form_and_place(agency: Agency) -> None:
    ids: dict[str, str] = {}
    for label, fields in PEOPLE.items():
        r = await agency.client.post("/api/v1/candidates", json=candidate_body(**fields))
        assert r.status_code == 201, r.text
        ids[r.json()["id"]] = label
    resume_id = next(i for i, label in ids.items() if label == "resume")
    uploaded = await agency.client.post(
        f"/api/v1/candidates/{resume_id}/documents",
        files={"file": ("cv.txt", RESUME, "text/plain")},
    )
    assert uploaded.status_code == 201, uploaded.text

    async def ranked(q: str) -> list[str]:
        r = await agency.client.get("/api/v1/search/candidates", params={"q": q, "limit": 50})
        assert r.status_code == 200, r.text
        return [ids[item["id"]] for item in r.json()["items"]]

    async def found(q: str) -> set[str]:
        return set(await ranked(q))

    async def resume_indexed() -> bool:
        return "resume" in await found("kafka")

    await eventually(resume_indexed, what="the resume's text indexed")

    # Go in any written form, in the skills list, a job, the headline; not "go-to".
    assert await found("go") == {"listed", "job", "headline"}
    assert await found("golang") == {"listed", "job", "headline"}
    assert await found("kafka") == {"job", "resume"}
    assert await found("react") == {"listed", "resume"}
    assert await found("kubernetes") == {"headline"}
    assert await found("spring") == set()  # "Spring 2019" is a season
    assert await found("python") == {"words"}  # "Python 3"
    # A word the vocabulary does not know is searched in the jobs' descriptions too.
    assert await found("payments") == {"job"}
    # Boolean queries read skills the same way.
    assert await found("go AND kafka") == {"job"}
    assert await found("go -kafka") == {"listed", "headline"}
    # A listed skill counts more than one named in a headline or a job.
    assert (await ranked("go"))[0] == "listed"
    # Plain words rank by coverage: both skills first, wherever written.
    r = await agency.client.get("/api/v1/search/candidates", params={"q": "golang kafka"})
    items = r.json()["items"]
    assert ids[items[0]["id"]] == "job"
    assert items[0]["reasons"]["coverage"] == 1.0
    assert sorted(items[0]["reasons"]["matched_terms"]) == ["golang", "kafka"]
