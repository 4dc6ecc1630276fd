"""Follow-ups that name another case of a procedure (issue 11, part 1): "and if it was
stolen?", "et si je ne suis pas belge ?". A procedure's `cases` (content/procedures/)
name the words and the steps and sections that answer each; `resolve.find_case` finds
the case in a message and `render.case` says that part alone, the place kept."""

from __future__ import annotations

import pytest

from actions import render
from actions.catalogue import LANGUAGES, Catalogue, Procedure
from actions.resolve import find_case
from tests.unit.test_catalogue import (
    assert_problem,
    fixture_data,
    make_content,
    problems,
    write_procedure,
)


@pytest.mark.parametrize(
    "text",
    ["et si elle a été volée ?", "En als ze gestolen is?", "and if it was stolen", "VOL"],
)
def test_a_theft_names_the_case_that_answers_it(eid: Procedure, text: str) -> None:
    found = find_case(eid, text)
    assert found is not None and found.steps == (2,)  # step 3: to the police first


@pytest.mark.parametrize(
    "text", ["et si je ne suis pas belge", "ik ben geen Belg", "I have a residence card"]
)
def test_not_belgian_names_its_case(eid: Procedure, text: str) -> None:
    found = find_case(eid, text)
    assert found is not None and found.sections == ("bring",)


@pytest.mark.parametrize("text", ["volume", "je suis volontaire", "what if I find it", "next"])
def test_only_whole_words_name_a_case(eid: Procedure, text: str) -> None:
    assert find_case(eid, text) is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_case_is_said_alone_and_the_place_kept(
    cat: Catalogue, eid: Procedure, lang: str
) -> None:
    found = find_case(eid, "stolen")
    assert found is not None
    reply = render.case(cat, eid, found, lang, spoken=False, index=0)
    label = cat.messages.text("step_label", lang, n=3, total=6)
    assert reply.text.startswith(f"{label}\n{eid.steps[2].written.in_(lang)}")
    resume = cat.messages.text("resume_step", lang, n=1, total=6, title=eid.title.in_(lang))
    assert resume in reply.text
    assert eid.steps[1].written.in_(lang) not in reply.text


def test_on_the_phone_the_case_is_spoken(cat: Catalogue, eid: Procedure) -> None:
    found = find_case(eid, "pas belge")
    assert found is not None
    reply = render.case(cat, eid, found, "fr", spoken=True, index=3)
    assert eid.steps[2].spoken.fr in reply.text
    assert eid.bring.spoken.fr in reply.text  # type: ignore[union-attr]


def test_a_case_must_point_at_what_the_procedure_has(tmp_path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["cases"] = [
        {"words": {"fr": ["volé"], "nl": ["gestolen"], "en": ["stolen"]}, "steps": [99]},
        {"words": {"fr": ["x1"], "nl": ["x2"], "en": ["x3"]}, "sections": ["offline"]},
    ]
    data.pop("offline", None)
    write_procedure(content, "lost-card", data)
    found = problems(content)
    file = "content/procedures/lost-card.yml"
    assert_problem(found, file, "cases[0].steps[0]", "is step 99, but this procedure has")
    assert_problem(found, file, "cases[1].sections[0]", "names offline: this procedure has none")


def test_a_case_needs_words_in_every_language_and_an_answer(tmp_path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["cases"] = [{"words": {"fr": ["volé"], "en": ["stolen"]}}]
    write_procedure(content, "lost-card", data)
    found = problems(content)
    assert any("cases" in line and "nl" in line for line in found), found
