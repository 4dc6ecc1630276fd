"""Tests of actions/catalogue.py: loading and validating procedures and messages.

Pure: no Rasa needed. Broken content is written to a temporary content/ directory
built from the real schema and messages plus the fixtures in tests/fixtures/procedures.
"""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.catalogue import (
    LANGUAGES,
    REQUIRED_MESSAGES,
    SECTIONS,
    CatalogueError,
    Text,
    default_content_dir,
    format_field,
    load_catalogue,
    spoken_problem,
)

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content"
FIXTURES = REPO / "tests" / "fixtures" / "procedures"
CONTRACT_INTENTS = {"proc_lost_eid", "proc_change_address", "proc_household_composition"}


# ---------------------------------------------------------------- helpers


def make_content(tmp_path: Path, with_fixtures: bool = True) -> Path:
    """Build tmp_path/content with the real schema and messages and the fixture procedures."""
    content = tmp_path / "content"
    (content / "procedures").mkdir(parents=True)
    shutil.copy(CONTENT / "procedure.schema.json", content)
    shutil.copy(CONTENT / "messages.yml", content)
    if with_fixtures:
        for path in FIXTURES.glob("*.yml"):
            shutil.copy(path, content / "procedures")
    return content


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
