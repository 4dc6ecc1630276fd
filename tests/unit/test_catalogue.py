"""Tests of actions/catalogue.py: loading and validating procedures, messages, the menu,
the clarifying questions and the communes.

Pure: no Rasa needed. Broken content is written to a temporary content/ directory
built from the real schema, messages and communes plus the fixtures in tests/fixtures.
"""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions._catalogue.checks import (
    acronym_problems,
    languages_differ,
    numbers,
    unknown_acronyms,
    written_acronym_problems,
)
from actions.catalogue import (
    LANGUAGES,
    MAX_OPTIONS,
    REQUIRED_MESSAGES,
    SECTIONS,
    CatalogueError,
    ClarificationOption,
    Text,
    default_content_dir,
    format_field,
    load_catalogue,
    spoken_problem,
)
from actions.plain_language import spoken_texts
from actions.spoken import SPOKEN_TERMS_FILE, SpokenTerm, SpokenTerms, load_spoken_terms
from nlu.examples import read_examples
from tests.content import CONTENT, REPO, fixture_content, full_content

FIXTURES = REPO / "tests" / "fixtures" / "procedures"
CONTRACT_INTENTS = {"proc_lost_eid", "proc_change_address", "proc_household_composition"}
# The intents and actions added for the menu, the clarifying questions and the communes.
NEW_INTENTS = {"show_menu", "show_category", "card_blocked", "inform_commune"}
NEW_ACTIONS = {"action_show_category", "action_clarify", "action_commune"}


# ---------------------------------------------------------------- helpers


def make_content(tmp_path: Path, with_fixtures: bool = True) -> Path:
    """Build tmp_path/content: real schema, messages, communes; fixture procedures and menu."""
    return fixture_content(tmp_path, with_procedures=with_fixtures)


def fixture_data(name: str) -> dict[str, Any]:
    """Return a fixture procedure as plain data, ready to break."""
    return yaml.safe_load((FIXTURES / f"{name}.yml").read_text(encoding="utf-8"))


def write_yaml(path: Path, data: Any) -> None:
    """Write data as YAML, keeping key order and accents."""
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_procedure(content: Path, name: str, data: dict[str, Any]) -> None:
    """Write a procedure file content/procedures/<name>.yml."""
    write_yaml(content / "procedures" / f"{name}.yml", data)


def problems(content: Path) -> list[str]:
    """Load `content`, expecting a CatalogueError; return its problem lines."""
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(content)
    return list(caught.value.problems)


def assert_problem(found: list[str], file: str, field: str, words: str) -> None:
    """Assert one problem names `file` (and a line if the field exists), `field` and `words`."""
    pattern = re.compile(rf"^{re.escape(file)}(:\d+)?: {re.escape(field)}: .*{re.escape(words)}")
    assert any(pattern.search(line) for line in found), "\n".join(found)


# ---------------------------------------------------------------- the real content


def test_real_content_loads() -> None:
    if not any((CONTENT / "procedures").glob("*.yml")):
        pytest.skip("content/procedures has no procedure files yet")
    catalogue = load_catalogue(CONTENT)
    for stem, procedure in catalogue.procedures.items():
        assert procedure.id == stem
        assert procedure.steps
        assert catalogue.by_intent(procedure.intent) is procedure
    intents = {p.intent for p in catalogue.procedures.values()}
    assert intents >= CONTRACT_INTENTS


def test_real_messages_are_plain_language(tmp_path: Path) -> None:
    """Every sentence of the real messages.yml has at most 20 words."""
    messages = load_catalogue(make_content(tmp_path)).messages
    for name, phrase in messages.phrases.items():
        for form in (phrase.written, phrase.spoken):
            for lang in LANGUAGES:
                for sentence in re.split(r"(?<=[.!?])\s+", form.in_(lang)):
                    assert len(sentence.split()) <= 20, f"{name}.{lang}: {sentence}"


def test_default_content_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LOKET_CONTENT_DIR", raising=False)
    assert default_content_dir() == CONTENT
    monkeypatch.setenv("LOKET_CONTENT_DIR", str(tmp_path))
    assert default_content_dir() == tmp_path


# ---------------------------------------------------------------- the fixtures


def test_fixtures_load(tmp_path: Path) -> None:
    catalogue = load_catalogue(make_content(tmp_path))
    assert list(catalogue.procedures) == ["lost-card", "one-step"]  # file-name order
    card = catalogue.procedures["lost-card"]
    assert card.intent == "proc_lost_card"
    assert card.checked_on == datetime.date(2026, 11, 30)  # unquoted in the file
    assert card.sources == ("https://example.org/lost-card",)
    assert card.title.in_("nl") == "Kaart verloren (test)"
    assert len(card.steps) == 3
    assert card.steps[0].render("en", spoken=True) == "Block the card on the blocking website."
    assert card.steps[0].render("en", spoken=False).startswith("Block the card at https://")
    assert [name for name, _ in card.sections()] == list(SECTIONS)
    one = catalogue.procedures["one-step"]
    assert one.sections() == ()
    assert one.bring is None
    assert catalogue.by_intent("proc_one_step") is one
    assert catalogue.by_intent("proc_unknown") is None
    assert catalogue.by_intent(None) is None


def test_messages_load(tmp_path: Path) -> None:
    messages = load_catalogue(make_content(tmp_path)).messages
    assert set(REQUIRED_MESSAGES) <= set(messages.phrases)
    assert messages.text("step_label", "en", n=2, total=5) == "Step 2 of 5:"
    assert messages.text("step_label", "en", spoken=True, n=2, total=5) == "Step 2 of 5."
    assert messages.text("button_no", "en") == "No"
    with pytest.raises(KeyError, match="no_such_message"):
        messages.phrase("no_such_message")


def test_text_rejects_unknown_language() -> None:
    with pytest.raises(ValueError, match="de"):
        Text(fr="a", nl="b", en="c").in_("de")


def test_format_field() -> None:
    assert format_field(("steps", 2, "spoken", "nl")) == "steps[2].spoken.nl"
    assert format_field(("sources", 0)) == "sources[0]"
    assert format_field(()) == ""


# ---------------------------------------------------------------- broken procedures


def test_missing_language_names_file_field_and_problem(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    del data["steps"][2]["spoken"]["nl"]
    write_procedure(content, "lost-card", data)
    found = problems(content)
    assert_problem(found, "content/procedures/lost-card.yml", "steps[2].spoken.nl", "is missing")
    assert len(found) == 1
    line = int(found[0].split(":")[1])  # the line of steps[2].spoken, where nl belongs
    assert (
        "spoken:" in (content / "procedures" / "lost-card.yml").read_text().splitlines()[line - 1]
    )


def test_missing_required_field(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    del data["who"]
    write_procedure(content, "lost-card", data)
    assert_problem(problems(content), "content/procedures/lost-card.yml", "who", "is missing")


def test_empty_text(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["title"]["en"] = ""
    data["summary"]["fr"] = "   "
    write_procedure(content, "lost-card", data)
    found = problems(content)
    assert_problem(
        found, "content/procedures/lost-card.yml", "title.en", "must be a non-empty text"
    )
    assert_problem(found, "content/procedures/lost-card.yml", "summary.fr", "non-empty text")


def test_wrong_shape(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["steps"][1] = "Go to the commune."
    data["colour"] = "red"
    write_procedure(content, "lost-card", data)
    found = problems(content)
    file = "content/procedures/lost-card.yml"
    assert_problem(found, file, "steps[1]", "must have a written and a spoken form")
    assert_problem(found, file, "colour", "is not a known field")


@pytest.mark.parametrize("value", ["2026-13-45", "30/11/2026", "2026-02-30", 20261130])
def test_bad_date(tmp_path: Path, value: object) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["checked_on"] = value
    write_procedure(content, "lost-card", data)
    assert_problem(
        problems(content),
        "content/procedures/lost-card.yml",
        "checked_on",
        "must be a date like 2026-11-30",
    )


@pytest.mark.parametrize(
    ("spoken", "what"),
    [
        ("Go to https://example.org now.", "a web address"),
        ("Go to www.example.org now.", "a web address"),
        ("Go to irisbox.brussels now.", "a web address"),
        ("Write to help@example.org now.", "an e-mail address"),
    ],
)
def test_url_or_email_in_spoken_text(tmp_path: Path, spoken: str, what: str) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["steps"][1]["spoken"]["en"] = spoken
    write_procedure(content, "lost-card", data)
    assert_problem(
        problems(content),
        "content/procedures/lost-card.yml",
        "steps[1].spoken.en",
        f"is read aloud and must not contain {what}",
    )


def test_url_in_written_text_is_fine() -> None:
    # The lost-card fixture has a URL in a written step: it loaded in test_fixtures_load.
    assert "https://" in (FIXTURES / "lost-card.yml").read_text(encoding="utf-8")
    assert spoken_problem("Call 02 123 45 67 between 9 and 12.") is None


def test_url_in_title_is_refused(tmp_path: Path) -> None:
    """Title, summary and who have one form, which is also read aloud."""
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["summary"]["nl"] = "Zie www.example.org."
    write_procedure(content, "lost-card", data)
    assert_problem(problems(content), "content/procedures/lost-card.yml", "summary.nl", "web")


def test_id_must_equal_file_name(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("one-step")
    data["id"] = "another-name"
    write_procedure(content, "one-step", data)
    assert_problem(problems(content), "content/procedures/one-step.yml", "id", "'one-step'")


def test_duplicate_intent(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["id"] = "stolen-card"
    write_procedure(content, "stolen-card", data)
    assert_problem(
        problems(content),
        "content/procedures/stolen-card.yml",
        "intent",
        "proc_lost_card is already used by content/procedures/lost-card.yml",
    )


def test_yaml_syntax_error_reports_file_and_line(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    broken = 'id: broken\nintent: proc_broken\ntitle:\n  fr: "a"\n   nl: "b"\n'
    (content / "procedures" / "broken.yml").write_text(broken, encoding="utf-8")
    found = problems(content)
    assert any(
        line.startswith("content/procedures/broken.yml:5: is not valid YAML") for line in found
    ), found


def test_duplicate_key_reports_line(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    text = (FIXTURES / "one-step.yml").read_text(encoding="utf-8")
    text = text.replace(
        'title: {fr: "Une étape (test)",', 'title: {fr: "Une étape (test)", fr: "x",'
    )
    (content / "procedures" / "one-step.yml").write_text(text, encoding="utf-8")
    found = problems(content)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("title:"))
    expected = f"content/procedures/one-step.yml:{line}: is not valid YAML: the key 'fr' appears"
    assert any(row.startswith(expected) for row in found), found


def test_empty_file_and_no_procedures(tmp_path: Path) -> None:
    content = make_content(tmp_path, with_fixtures=False)
    assert any("content/procedures: has no procedure files" in p for p in problems(content))
    (content / "procedures" / "empty.yml").write_text("# nothing yet\n", encoding="utf-8")
    assert "content/procedures/empty.yml: is empty" in problems(content)


def test_all_problems_of_all_files_are_reported_together(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    card = fixture_data("lost-card")
    del card["steps"][0]["written"]["fr"]
    card["checked_on"] = "yesterday"
    write_procedure(content, "lost-card", card)
    one = fixture_data("one-step")
    one["sources"] = []
    write_procedure(content, "one-step", one)
    messages = yaml.safe_load((content / "messages.yml").read_text(encoding="utf-8"))
    del messages["goodbye"]
    write_yaml(content / "messages.yml", messages)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(content)
    found = list(caught.value.problems)
    assert len(found) == 4, found
    assert_problem(found, "content/procedures/lost-card.yml", "steps[0].written.fr", "missing")
    assert_problem(found, "content/procedures/lost-card.yml", "checked_on", "date")
    assert_problem(found, "content/procedures/one-step.yml", "sources", "at least 1 item")
    assert "content/messages.yml: goodbye: is missing" in found
    # One problem per line, after a header line.
    assert str(caught.value).splitlines()[1:] == found


# ---------------------------------------------------------------- broken messages


def load_messages(content: Path) -> dict[str, Any]:
    """Return content/messages.yml as plain data."""
    return yaml.safe_load((content / "messages.yml").read_text(encoding="utf-8"))


def test_message_placeholders_must_match(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    messages = load_messages(content)
    messages["step_label"]["written"]["nl"] = "Stap {m} van {total}:"
    messages["extra"] = {"fr": "{a}", "nl": "{a}", "en": "{b}"}
    write_yaml(content / "messages.yml", messages)
    found = problems(content)
    assert_problem(found, "content/messages.yml", "step_label.written.nl", "{n} {total}")
    assert_problem(found, "content/messages.yml", "extra.en", "must use the placeholders {a}")


def test_message_language_missing_and_url_when_spoken(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    messages = load_messages(content)
    del messages["goodbye"]["nl"]
    messages["intro"]["en"] = "See www.loket.example for more."
    messages["menu_prompt"]["written"]["en"] = "See www.loket.example."  # written: allowed
    write_yaml(content / "messages.yml", messages)
    found = problems(content)
    assert_problem(found, "content/messages.yml", "goodbye.nl", "is missing")
    assert_problem(found, "content/messages.yml", "intro.en", "web address")
    assert len(found) == 2, found


def test_message_bad_shape_and_broken_placeholder(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    messages = load_messages(content)
    messages["greeting"] = "Hello"
    messages["first_step"]["en"] = "Step {n"
    write_yaml(content / "messages.yml", messages)
    found = problems(content)
    assert_problem(found, "content/messages.yml", "greeting", "must have fr, nl and en")
    assert_problem(found, "content/messages.yml", "first_step.en", "broken placeholder")


def test_unquoted_yes_and_no_stay_text(tmp_path: Path) -> None:
    """YAML 1.1 would read an unquoted No as false; the loader keeps it as text."""
    content = make_content(tmp_path)
    text = (content / "messages.yml").read_text(encoding="utf-8")
    text = text.replace('en: "No"\n', "en: No\n").replace('en: "Yes"\n', "en: Yes\n")
    (content / "messages.yml").write_text(text, encoding="utf-8")
    messages = load_catalogue(content).messages
    assert messages.text("button_no", "en") == "No"
    assert messages.text("button_yes", "en") == "Yes"


# ---------------------------------------------------------------- the menu


def menu_ids(categories: Any) -> list[str]:
    return [category.id for category in categories]


def test_fixture_menu_and_clarifications_load(tmp_path: Path) -> None:
    catalogue = load_catalogue(make_content(tmp_path))
    assert menu_ids(catalogue.menu) == ["cards", "other"]
    assert catalogue.category("cards").procedures == ("lost-card",)
    assert catalogue.category("cards").title.in_("nl") == "Kaarten (test)"
    assert catalogue.category("nope") is None
    assert catalogue.category(None) is None
    question = catalogue.clarification("card_trouble")
    assert question.question.render("en", spoken=True) == "Which problem? (test)"
    assert question.options == (
        ClarificationOption(
            "one-step", Text("Autre chose (test)", "Iets anders (test)", "Something else (test)")
        ),
        ClarificationOption("lost-card"),
    )
    assert catalogue.clarification("card_blocked") is None


def test_full_catalogue_every_procedure_in_exactly_one_category(tmp_path: Path) -> None:
    """The whole catalogue, staged procedures published: the menu covers each procedure
    once, in the categories, order and titles of content/menu.yml."""
    catalogue = load_catalogue(full_content(tmp_path))
    menu = yaml.safe_load((CONTENT / "menu.yml").read_text(encoding="utf-8"))["categories"]
    assert menu_ids(catalogue.menu) == [category["id"] for category in menu]
    placed = [pid for category in catalogue.menu for pid in category.procedures]
    assert sorted(placed) == sorted(catalogue.procedures)  # each one, exactly once
    assert all(1 <= len(c.procedures) <= MAX_OPTIONS for c in catalogue.menu)
    for written in menu:
        category = catalogue.category(written["id"])
        assert category.procedures == tuple(written["procedures"])
        assert category.title.in_("en") == written["title"]["en"]
    question = catalogue.clarification("card_blocked")
    assert question.options and all(o.procedure in catalogue.procedures for o in question.options)


def test_real_menu_names_every_published_procedure() -> None:
    """Whatever content/procedures holds now, the menu shows each published procedure once."""
    catalogue = load_catalogue(CONTENT)
    placed = [pid for category in catalogue.menu for pid in category.procedures]
    assert sorted(placed) == sorted(catalogue.procedures)


def write_menu(content: Path, categories: list[dict[str, Any]]) -> None:
    write_yaml(content / "menu.yml", {"categories": categories})


def category(cid: str, *procedures: str) -> dict[str, Any]:
    title = {"fr": f"{cid} fr", "nl": f"{cid} nl", "en": f"{cid} en"}
    return {"id": cid, "title": title, "procedures": list(procedures)}


def test_menu_unknown_procedure_names_file_and_field(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    write_menu(
        content, [category("cards", "lost-card", "lost-kard"), category("other", "one-step")]
    )
    found = problems(content)
    assert_problem(
        found,
        "content/menu.yml",
        "categories[0].procedures[1]",
        "'lost-kard' is not a procedure: there is no procedures/lost-kard.yml",
    )
    assert len(found) == 1, found
    assert re.match(r"content/menu\.yml:\d+: ", found[0])  # with its line


def test_menu_procedure_in_two_categories_or_none(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    write_menu(content, [category("cards", "lost-card"), category("other", "lost-card")])
    found = problems(content)
    assert_problem(
        found,
        "content/menu.yml",
        "categories[1].procedures[0]",
        "lost-card is already in categories[0].procedures[0]",
    )
    assert_problem(
        found, "content/menu.yml", "categories", "one-step (procedures/one-step.yml) is in no"
    )


def test_menu_fields_ids_and_titles(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    broken = category("Cards!", "lost-card")
    del broken["title"]["nl"]
    broken["title"]["en"] = "See www.example.org"
    broken["colour"] = "red"
    twice = category("other", "one-step")
    write_menu(content, [broken, twice, {**category("other"), "procedures": []}])
    found = problems(content)
    file = "content/menu.yml"
    assert_problem(found, file, "categories[0].id", "lowercase letters, digits and hyphens")
    assert_problem(found, file, "categories[0].title.nl", "is missing")
    assert_problem(found, file, "categories[0].title.en", "web address")
    assert_problem(found, file, "categories[0].colour", "is not a known field")
    assert_problem(found, file, "categories[2].id", "other is already the id of categories[1]")
    assert_problem(found, file, "categories[2].procedures", "at least one procedure id")


def test_menu_limits_follow_the_phone_keys(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    extra = [f"extra-{n}" for n in range(MAX_OPTIONS)]
    for pid in extra:
        data = fixture_data("one-step")
        data["id"], data["intent"] = pid, "proc_" + pid.replace("-", "_")
        write_procedure(content, pid, data)
    write_menu(content, [category("cards", "lost-card", *extra), category("other", "one-step")])
    assert_problem(
        problems(content), "content/menu.yml", "categories[0].procedures", "has 9 procedures"
    )
    nine = [category(f"c{n}", pid) for n, pid in enumerate(["lost-card", "one-step", *extra[:7]])]
    write_menu(content, nine)
    found = problems(content)
    assert_problem(found, "content/menu.yml", "categories", "has 9 categories; at most 8")


def test_menu_and_clarifications_files_are_required(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    (content / "menu.yml").unlink()
    (content / "clarifications.yml").write_text("# nothing yet\n", encoding="utf-8")
    found = problems(content)
    assert "content/menu.yml: is missing" in found
    assert "content/clarifications.yml: is empty" in found


def test_staged_procedure_waits_in_the_menu(tmp_path: Path) -> None:
    """A procedure in procedures-next/ may be named already; it shows once published."""
    content = make_content(tmp_path)
    staged = content / "procedures-next"
    staged.mkdir()
    data = fixture_data("one-step")
    data["id"], data["intent"] = "future", "proc_future"
    write_yaml(staged / "future.yml", data)
    write_menu(
        content,
        [
            category("cards", "lost-card", "future"),
            category("other", "one-step"),
            category("soon", "future"),
        ],
    )
    found = problems(content)  # named twice: an error even while staged
    assert_problem(found, "content/menu.yml", "categories[2].procedures[0]", "already in")
    write_menu(
        content,
        [category("cards", "lost-card", "future"), category("other", "one-step"), category("soon")],
    )
    assert_problem(problems(content), "content/menu.yml", "categories[2].procedures", "at least")
    write_menu(
        content,
        [category("cards", "lost-card"), category("soon", "future"), category("other", "one-step")],
    )
    catalogue = load_catalogue(content)
    assert menu_ids(catalogue.menu) == ["cards", "other"]  # "soon" has nothing published yet
    shutil.move(staged / "future.yml", content / "procedures" / "future.yml")
    catalogue = load_catalogue(content)
    assert menu_ids(catalogue.menu) == ["cards", "soon", "other"]
    assert catalogue.category("soon").procedures == ("future",)


# ---------------------------------------------------------------- clarifying questions


def write_clarifications(content: Path, entries: list[dict[str, Any]]) -> None:
    write_yaml(content / "clarifications.yml", {"clarifications": entries})


def question(qid: str, *options: Any) -> dict[str, Any]:
    text = {"fr": "Laquelle ?", "nl": "Welke?", "en": "Which one?"}
    return {"id": qid, "question": text, "options": list(options)}


def test_clarification_problems(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    placeholder = question("card_trouble", "lost-card", "one-step")
    placeholder["question"]["en"] = "Which {card}?"
    placeholder["question"]["fr"] = "Laquelle {card} ?"
    placeholder["question"]["nl"] = "Welke {card}?"
    write_clarifications(
        content,
        [
            placeholder,
            question("Card-Trouble", "lost-card"),
            question("dup", "lost-card", {"procedure": "lost-card"}),
            question("unknown", "one-step", {"procedure": "nope", "label": {"fr": "x"}}),
        ],
    )
    found = problems(content)
    file = "content/clarifications.yml"
    assert_problem(found, file, "clarifications[0].question.en", "no placeholders")
    assert_problem(found, file, "clarifications[1].id", "lowercase letters, digits and underscores")
    assert_problem(found, file, "clarifications[1].options", "2 to 8 options")
    assert_problem(found, file, "clarifications[2].options[1].procedure", "is already option [0]")
    assert_problem(
        found, file, "clarifications[3].options[1].procedure", "'nope' is not a procedure"
    )
    assert_problem(found, file, "clarifications[3].options[1].label.nl", "is missing")


def test_clarification_question_read_aloud_has_no_address(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    entry = question("card_trouble", "lost-card", "one-step")
    entry["question"] = {"written": dict(entry["question"]), "spoken": dict(entry["question"])}
    entry["question"]["written"]["en"] = "Which one? See https://example.org"  # written: fine
    entry["question"]["spoken"]["nl"] = "Zie www.example.org."
    write_clarifications(content, [entry])
    found = problems(content)
    assert_problem(
        found, "content/clarifications.yml", "clarifications[0].question.spoken.nl", "web address"
    )
    assert len(found) == 1, found


# ---------------------------------------------------------------- communes


def test_real_communes_load(tmp_path: Path) -> None:
    communes = load_catalogue(make_content(tmp_path)).communes
    assert len(communes) == 19
    catalogue = load_catalogue(make_content(tmp_path / "again"))
    assert catalogue.by_postcode("1030").name.in_("nl") == "Schaarbeek"
    assert catalogue.by_postcode("1120").id == "bruxelles"
    assert catalogue.by_postcode("1050").note is not None
    assert catalogue.by_postcode("1300") is None
    assert catalogue.by_postcode(None) is None
    postcodes = [p for commune in communes for p in commune.postcodes]
    assert len(postcodes) == len(set(postcodes))


def test_commune_problems(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    communes = yaml.safe_load((content / "communes.yml").read_text(encoding="utf-8"))
    communes[1]["postcodes"] = [1030]  # a number, not text
    communes[2]["postcodes"] = ["1000"]  # already the City's
    communes[3]["postcodes"] = ["105"]
    del communes[4]["name"]["nl"]
    communes[5]["mayor"] = "x"
    communes[6]["id"] = "schaerbeek"
    write_yaml(content / "communes.yml", communes)
    found = problems(content)
    file = "content/communes.yml"
    assert_problem(found, file, "[1].postcodes[0]", 'must be a text in quotes, like "1030"')
    assert_problem(found, file, "[2].postcodes[0]", "1000 is already a postcode of bruxelles")
    assert_problem(found, file, "[3].postcodes[0]", "4 digits")
    assert_problem(found, file, "[4].name.nl", "is missing")
    assert_problem(found, file, "[5].mayor", "is not a known field")
    assert_problem(found, file, "[6].id", "schaerbeek is already the id of [1]")


# ---------------------------------------------------------------- the domain and the rules


def test_content_intents_are_in_the_domain_with_a_rule() -> None:
    """Every published procedure's intent and every clarifying question's id is an
    intent of domain.yml with a rule in nlu/rules.yml; so are the menu's intents."""
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((REPO / "nlu" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    ruled = {
        step["intent"]: rule["steps"][i + 1].get("action")
        for rule in rules
        for i, step in enumerate(rule["steps"])
        if "intent" in step
    }
    catalogue = load_catalogue(CONTENT)
    expected = {p.intent: "action_start_procedure" for p in catalogue.procedures.values()}
    expected |= {qid: "action_clarify" for qid in catalogue.clarifications}
    expected |= {
        "show_menu": "action_welcome",
        "show_category": "action_show_category",
        "inform_commune": "action_commune",
    }
    for intent, action in expected.items():
        assert intent in domain["intents"], f"{intent} is missing from domain.yml"
        assert ruled.get(intent) == action, f"nlu/rules.yml: no rule {intent} -> {action}"
    assert set(domain["intents"]) >= NEW_INTENTS
    assert set(domain["actions"]) >= NEW_ACTIONS
    assert set(domain["entities"]) >= {"category", "postcode", "commune"}
    assert domain["slots"]["commune"]["influence_conversation"] is False


MIN_TRAINING_EXAMPLES = 40  # per procedure and language (README, "Adding a procedure")
MIN_HELD_OUT_EXAMPLES = 12


def _examples_per_intent(paths: list[Path]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in paths:
        for intent, _ in read_examples(path):
            counts[intent] = counts.get(intent, 0) + 1
    return counts


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_every_procedure_has_its_training_and_held_out_examples(lang: str) -> None:
    training = _examples_per_intent(
        [REPO / "nlu" / f"{lang}.yml", REPO / "nlu" / f"topics-{lang}.yml"]
    )
    held_out = _examples_per_intent([REPO / "tests" / "nlu" / f"{lang}.yml"])
    for procedure in load_catalogue(CONTENT).procedures.values():
        intent = procedure.intent
        assert training.get(intent, 0) >= MIN_TRAINING_EXAMPLES, (
            f"nlu/topics-{lang}.yml: {intent} has {training.get(intent, 0)} training "
            f"examples, at least {MIN_TRAINING_EXAMPLES} are needed"
        )
        assert held_out.get(intent, 0) >= MIN_HELD_OUT_EXAMPLES, (
            f"tests/nlu/{lang}.yml: {intent} has {held_out.get(intent, 0)} held-out "
            f"examples, at least {MIN_HELD_OUT_EXAMPLES} are needed"
        )


# ---------------------------------------------------------------- spoken terms (acronyms)


def known_terms(terms: SpokenTerms) -> dict[str, Any]:
    """The written forms the lexicon knows, per language."""
    return {lang: terms.of(lang).keys() for lang in LANGUAGES}


def test_every_acronym_read_aloud_is_in_the_lexicon(tmp_path: Path) -> None:
    """The real content and the procedures still staged: each acronym has a spoken form."""
    terms = load_spoken_terms(CONTENT / SPOKEN_TERMS_FILE)
    for content in (CONTENT, full_content(tmp_path)):
        catalogue = load_catalogue(content)
        assert acronym_problems(spoken_texts(catalogue), known_terms(terms)) == []


def test_an_acronym_the_lexicon_does_not_know_is_reported(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["steps"][0]["spoken"]["nl"] = "Vraag het aan de RSZ of aan het OCMW. Kies uw C4."
    write_procedure(content, "lost-card", data)
    catalogue = load_catalogue(content)
    terms = load_spoken_terms(CONTENT / SPOKEN_TERMS_FILE)
    found = acronym_problems(spoken_texts(catalogue), known_terms(terms))
    assert found == [
        "content/procedures/lost-card.yml steps[0].spoken.nl: RSZ is read aloud but not in "
        "the nl terms of spoken_terms.yml: add how it is said and its plain name"
    ]
    # C4 has one capital letter: a form's name, not an acronym
    assert unknown_acronyms("Vraag het aan het OCMW of de RSZ.", {"OCMW"}) == ["RSZ"]


def test_lexicon_problems_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "content" / SPOKEN_TERMS_FILE
    path.parent.mkdir()
    write_yaml(
        path,
        {
            "fr": {"CPAS": {"said": "C-P-A-S", "plan": "typo"}, "ONEM": "Onème"},
            "nl": {"OCMW": {"said": ""}},
            "de": {},
        },
    )
    with pytest.raises(CatalogueError) as caught:
        load_spoken_terms(path)
    found = list(caught.value.problems)
    assert_problem(found, "content/spoken_terms.yml", "fr.CPAS.plan", "not a known field")
    assert_problem(found, "content/spoken_terms.yml", "fr.ONEM", "must be a set of fields")
    assert_problem(found, "content/spoken_terms.yml", "nl.OCMW.said", "non-empty text")
    assert_problem(found, "content/spoken_terms.yml", "en", "is missing")
    assert_problem(found, "content/spoken_terms.yml", "de", "not a known language")
    path.unlink()
    with pytest.raises(CatalogueError, match=r"spoken_terms\.yml: is missing"):
        load_spoken_terms(path)


def test_a_term_without_said_form_is_said_as_written() -> None:
    terms = load_spoken_terms(CONTENT / SPOKEN_TERMS_FILE)
    assert terms.of("fr")["BOSA"] == SpokenTerm("BOSA", "BOSA", None)
    assert terms.of("fr")["CPAS"].plain == "le centre public d'action sociale"


# ---------------------------------------------------------------- the content review's checks


def broken_lost_card(content: Path, section: str, lang: str, text: str) -> list[str]:
    """Write `text` as the written `lang` form of a lost-card field; return the problems."""
    data = fixture_data("lost-card")
    data[section]["written"][lang] = text
    write_procedure(content, "lost-card", data)
    return problems(content)


@pytest.mark.parametrize(
    ("lang", "text", "words"),
    [
        ("en", "Go to the commune. When it is closed, order it online.", "'online'"),
        ("fr", "IRISbox marche jour et nuit.", "'IRISbox'"),
        ("nl", "Gebruik uw kaart en een kaartlezer op een computer.", "'op een computer'"),
        ("en", "Order it on irisbox.brussels.", "web address"),
    ],
)
def test_an_offline_section_that_sends_people_online_is_refused(
    tmp_path: Path, lang: str, text: str, words: str
) -> None:
    found = broken_lost_card(make_content(tmp_path), "offline", lang, text)
    assert_problem(found, "content/procedures/lost-card.yml", f"offline.written.{lang}", words)


def test_an_offline_section_may_name_online_help_with_a_non_online_way(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["offline"]["written"]["en"] = "A public computer space can help you apply online."
    write_procedure(content, "lost-card", data)
    assert load_catalogue(content).procedures["lost-card"].offline is not None


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Toutes les caisses paient le même montant."),
        ("nl", "Met dit statuut betaalt u minder voor zorg."),
        ("en", "With this status, you pay less for care."),
    ],
)
def test_a_cost_section_without_a_cost_is_refused(tmp_path: Path, lang: str, text: str) -> None:
    found = broken_lost_card(make_content(tmp_path), "cost", lang, text)
    assert_problem(found, "content/procedures/lost-card.yml", f"cost.written.{lang}", "no cost")


@pytest.mark.parametrize(
    ("lang", "text", "word"),
    [
        ("fr", "Votre mutuelle vous aide.", "mutuelle"),
        ("fr", "C'est parfois gratuit.", "parfois gratuit"),
        ("fr", "Vous vivez seul, sans travail?", "sans travail"),
        ("fr", "Personne n'a un logement ou un autre bien.", "autre bien"),
        ("nl", "Woont u alleen, zonder werk?", "zonder werk"),
        ("en", "Sometimes free of charge.", "Sometimes free"),
    ],
)
def test_words_the_review_ruled_out_are_refused(
    tmp_path: Path, lang: str, text: str, word: str
) -> None:
    found = broken_lost_card(make_content(tmp_path), "where", lang, text)
    assert_problem(found, "content/procedures/lost-card.yml", f"where.written.{lang}", word)


def test_a_weakly_sourced_number_must_be_said_with_try_or_its_source(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["related"]["written"] = {
        "fr": "Appelez Bruxelles Logement au 0800 40 400.",
        "nl": "U kunt proberen te bellen naar 0800 40 400.",
        "en": "According to the news, call 0800 40 400.",
    }
    write_procedure(content, "lost-card", data)
    found = problems(content)
    assert_problem(found, "content/procedures/lost-card.yml", "related.written.fr", "not confirm")
    assert not any("related.written.nl" in line or "related.written.en" in line for line in found)


def test_the_languages_must_give_the_same_numbers_and_web_addresses(tmp_path: Path) -> None:
    content = make_content(tmp_path)
    data = fixture_data("lost-card")
    data["steps"][0]["written"]["nl"] = "Bel 02 279 22 12."
    data["where"]["written"]["en"] = "At the commune, or on irisbox.brussels."
    write_procedure(content, "lost-card", data)
    found = problems(content)
    assert_problem(found, "content/procedures/lost-card.yml", "steps[0].written", "same numbers")
    assert_problem(found, "content/procedures/lost-card.yml", "where.written", "web addresses")


def test_numbers_are_compared_however_each_language_writes_them() -> None:
    same = {
        "fr": "Appelez le 02 225 25 25, de 13h à 15h30. Amende: 1 250 euros.",
        "nl": "Bel 02 225 25 25, van 13 tot 15.30 uur. Boete: 1.250 euro.",
        "en": "Call 02 225 25 25, from 1 pm to 3.30 pm. Fine: 1,250 euros.",
    }
    assert languages_differ(same) is None
    assert numbers("plus 32, 78, 170, 170", "en") == numbers("+32 78 170 170", "fr")
    spoken = {"fr": "De 13 heures à 15 heures 30.", "nl": "Van 13 tot half 4.", "en": "1 to 3.30"}
    assert languages_differ(spoken, spoken=True) is None
    assert languages_differ(spoken) is not None


def plain_names() -> dict[str, dict[str, str]]:
    """The plain names of spoken_terms.yml, per language."""
    terms = load_spoken_terms(CONTENT / SPOKEN_TERMS_FILE)
    return {
        lang: {written: term.plain for written, term in terms.of(lang).items() if term.plain}
        for lang in LANGUAGES
    }


def written_texts(catalogue: Any) -> list[tuple[str, list[Text]]]:
    """Each procedure's written texts in reading order: summary, who, steps, sections."""
    return [
        (
            procedure.id,
            [
                procedure.summary,
                procedure.who,
                *(step.written for step in procedure.steps),
                *(phrase.written for _, phrase in procedure.sections()),
            ],
        )
        for procedure in catalogue.procedures.values()
    ]


def as_mappings(texts: list[tuple[str, list[Text]]]) -> list[tuple[str, list[dict[str, str]]]]:
    """The same texts as {fr, nl, en} mappings."""
    return [(pid, [{lang: t.in_(lang) for lang in LANGUAGES} for t in ts]) for pid, ts in texts]


def test_every_written_acronym_is_explained_the_first_time() -> None:
    texts = as_mappings(written_texts(load_catalogue(CONTENT)))
    assert written_acronym_problems(texts, plain_names()) == []


def test_an_acronym_written_before_it_is_explained_is_reported() -> None:
    texts = [
        {"fr": "Allez au CPAS.", "nl": "Ga naar het OCMW.", "en": "Go to the CPAS."},
        {
            "fr": "Le CPAS, le centre public d'action sociale, vous aide.",
            "nl": "Het OCMW, het openbaar centrum voor maatschappelijk welzijn, helpt u.",
            "en": "The CPAS, the public social welfare centre, helps you.",
        },
    ]
    found = written_acronym_problems([("leefloon", texts)], plain_names())
    assert len(found) == 3
    assert found[0].startswith("leefloon (fr): CPAS is first used without saying what it is")
    assert written_acronym_problems([("leefloon", texts[1:])], plain_names()) == []
