from __future__ import annotations

from domain.duplicates import Person, likely_duplicates, score


def _p(id: str, first: str, last: str, **kw: object) -> Person:
    return Person(
        id=id,
        first_name=first,
        last_name=last,
        emails=kw.get("emails", []),
        phones=kw.get("phones", []),  # type: ignore[arg-type]
        employers=kw.get("employers", []),
        city=kw.get("city"),
    )  # type: ignore[arg-type]


def test_a_shortened_first_name_at_the_same_employer_is_likely() -> None:
    jon = _p("a", "Jon", "Smith", employers=["Acme"], city="Berlin")
    jonathan = _p("b", "Jonathan", "Smith", employers=["ACME"], city="Berlin")
    match = score(jon, jonathan)
    assert match.score >= 0.5
    assert any("similar name" in r for r in match.reasons)
    assert "both worked at acme" in match.reasons


def test_accents_and_case_do_not_hide_a_duplicate() -> None:
    match = score(_p("a", "José", "Núñez"), _p("b", "jose", "nunez"))
    assert match.reasons[0] == "same name"


def test_phone_tails_and_email_names_count() -> None:
    a = _p("a", "Ada", "King", phones=["+442079460958"], emails=["ada.king@gmail.com"])
    b = _p("b", "A.", "King", phones=["+4402079460958"], emails=["adaking@work.example"])
    match = score(a, b)
    assert "phone numbers end alike" in match.reasons
    assert "same email name at another address" in match.reasons
    assert match.score >= 0.7


def test_public_mail_domains_are_not_evidence() -> None:
    a = _p("a", "Ann", "Lee", emails=["ann@gmail.com"])
    b = _p("b", "Bob", "Stone", emails=["bob@gmail.com"])
    assert score(a, b).reasons == []


def test_only_likely_ones_best_first_and_never_itself() -> None:
    me = _p("a", "Grace", "Hopper", employers=["Navy"])
    pool = [
        me,
        _p("b", "Grace", "Hoppe"),
        _p("c", "Grace", "Hopper", employers=["Navy"]),
        _p("d", "Alan", "Turing"),
    ]
    assert [m.id for m in likely_duplicates(me, pool)] == ["c"]
    pool.append(_p("e", "Grace", "Hopper"))
    assert [m.id for m in likely_duplicates(me, pool)] == ["c", "e"]
