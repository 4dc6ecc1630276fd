"""Urgent topics (bot/conversations/urgent.py and content/urgent.yml).

Matching in each language, no match on ordinary procedure questions (every example of
the NLU training files), the file's validation, and the plain-language check of every
answer (the project's own check, actions/plain_language.py).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions import plain_language as pl
from bot.conversations.urgent import UrgentFileError, UrgentTopics, load_urgent, word_variants
from bot.folding import fold
from bot.settings import LANGUAGES
from nlu.examples import plain_text, read_examples

REPO = Path(__file__).resolve().parents[2]
URGENT_FILE = REPO / "content" / "urgent.yml"
NLU_FILES = [REPO / "nlu" / f"{lang}.yml" for lang in LANGUAGES]


@pytest.fixture(scope="module")
def urgent() -> UrgentTopics:
    return load_urgent(URGENT_FILE)


# ---------------------------------------------------------------- matching

MATCHES = [
    # French, as people type it: accents or not, capitals, SMS spelling
    ("je veux mourir", "suicide"),
    ("Je veux me suicider", "suicide"),
    ("jai envie de me suicider", "suicide"),
    ("je suis suicidaire depuis des semaines", "suicide"),
    ("j'ai plus envie de vivre", "suicide"),
    ("je veux en finir", "suicide"),
    ("J'ai des idées noires", "suicide"),
    ("mon mari me frappe", "violence"),
    ("il m'a frappée hier soir", "violence"),
    ("violences conjugales", "violence"),
    ("j'ai peur de mon mari", "violence"),
    ("je suis en danger", "distress"),
    ("j'en peux plus", "distress"),
    ("jen peux plus", "distress"),
    ("je suis désespérée", "distress"),
    # Dutch
    ("ik wil niet meer leven", "suicide"),
    ("Ik denk aan zelfmoord", "suicide"),
    ("ik heb zelfmoordgedachten", "suicide"),
    ("ik wil er een einde aan maken", "suicide"),
    ("mijn man slaat mij", "violence"),
    ("hij heeft me geslagen", "violence"),
    ("huiselijk geweld", "violence"),
    ("ik kan het niet meer aan", "distress"),
    ("ik zie het niet meer zitten", "distress"),
    ("ik ben in gevaar", "distress"),
    # English
    ("I want to kill myself", "suicide"),
    ("i dont want to live anymore", "suicide"),
    ("I don't want to live anymore", "suicide"),
    ("i feel suicidal", "suicide"),
    ("my husband hits me", "violence"),
    ("My partner is ABUSIVE", "violence"),
    ("i am afraid of my husband", "violence"),
    ("I can't take it anymore", "distress"),
    ("i cant take it anymore", "distress"),
    ("I'm in danger", "distress"),
    ("im in danger", "distress"),
    # Other languages of Brussels
    ("أريد أن أموت", "suicide"),
    ("اريد ان اموت", "suicide"),  # without hamza, as often typed
    ("زوجي يضربني", "violence"),
    ("ölmek istiyorum", "suicide"),
    ("olmek istiyorum", "suicide"),
    ("kocam beni dövüyor", "violence"),
    ("me quiero morir", "suicide"),
    ("mi marido me pega", "violence"),
    ("chcę umrzeć", "suicide"),
    ("chce sie zabic", "suicide"),
    ("mąż mnie bije", "violence"),
]


@pytest.mark.parametrize(("text", "topic"), MATCHES)
def test_urgent_phrases_match_their_topic(urgent: UrgentTopics, text: str, topic: str) -> None:
    found = urgent.match(text)
    assert found is not None, text
    assert found.topic == topic


@pytest.mark.parametrize(
    "text",
    [
        "suicide squad film",
        "is Suicide Squad a good film",
        "c'est abusé le prix de la carte",
        "geweldig, bedankt",
        "ik kan niet meer inloggen op mijn account",
        "au secours je comprends rien aux papiers",
        "help me with my address change",
        "my chest hurts what should i take",
        "im hopeless with computers is there a place where people help you",
        "vous pouvez me rapeler",
    ],
)
def test_ordinary_sentences_do_not_match(urgent: UrgentTopics, text: str) -> None:
    assert urgent.match(text) is None


def test_an_exception_hides_only_its_own_words(urgent: UrgentTopics) -> None:
    found = urgent.match("after watching suicide squad i want to kill myself")
    assert found is not None and found.topic == "suicide"


def test_the_most_serious_topic_wins(urgent: UrgentTopics) -> None:
    found = urgent.match("il me frappe et je veux mourir")
    assert found is not None and found.topic == "suicide"


def test_words_match_whole_not_inside_other_words(urgent: UrgentTopics) -> None:
    assert urgent.match("violette") is None  # not "viol"
    assert urgent.match("viol") is not None


def test_the_match_names_the_phrase_for_the_agent(urgent: UrgentTopics) -> None:
    found = urgent.match("Je veux me SUICIDER")
    assert found is not None
    assert found.phrase == "suicid*"


def test_folding() -> None:
    assert fold("Suïcide ŒUVRE Désespérée") == "suicide oeuvre desesperee"
    assert word_variants("can't") == {("can", "t"), ("cant",)}
    assert word_variants("suicid*", phrase=True) == {("suicid*",)}


def _examples() -> list[tuple[str, str, str]]:
    return [
        (path.name, intent, plain_text(line))
        for path in NLU_FILES
        for intent, line in read_examples(path)
    ]


def test_no_nlu_training_example_matches(urgent: UrgentTopics) -> None:
    """Every example of nlu/fr.yml, nlu/nl.yml, nlu/en.yml: ordinary procedure talk."""
    examples = _examples()
    assert len(examples) > 1000  # the whole files, not a handful
    matched = [(name, intent, text) for name, intent, text in examples if urgent.match(text)]
    assert matched == []


# ---------------------------------------------------------------- answers


def test_every_topic_answers_in_every_language_and_form(urgent: UrgentTopics) -> None:
    assert [topic.id for topic in urgent.topics] == ["suicide", "violence", "distress"]
    for topic in urgent.topics:
        found = urgent.match(topic.phrases[0][0])
        assert found is not None and found.topic == topic.id
        for lang in LANGUAGES:
            assert "112" in found.answer(lang).replace(" ", "")
            spoken = found.answer(lang, spoken=True)
            assert spoken and spoken.replace(" ", "").count("112") == 1


def test_an_unknown_language_is_refused(urgent: UrgentTopics) -> None:
    found = urgent.match("je veux mourir")
    assert found is not None
    with pytest.raises(ValueError, match="'de'"):
        found.answer("de")  # type: ignore[arg-type]


def _measures(urgent: UrgentTopics) -> list[pl.Measure]:
    measures = []
    for topic in urgent.topics:
        for form in ("written", "spoken"):
            for lang, text in getattr(topic.answer, form).items():
                where = f"content/urgent.yml {topic.id}.answer.{form}.{lang}"
                stats = pl.text_stats(text, lang)
                measures.append(pl.Measure(where, lang, "hub", form == "spoken", text, stats))
    return measures


def test_every_answer_is_plain_language(urgent: UrgentTopics) -> None:
    measures = _measures(urgent)
    assert len(measures) == 3 * 2 * len(LANGUAGES)
    assert all(m.scored for m in measures)
    findings = pl.check_measures(measures)
    assert not findings, "\n" + pl.report(findings, measures=measures)


def test_the_file_is_sourced_and_dated(urgent: UrgentTopics) -> None:
    assert urgent.checked_on == datetime.date(2026, 12, 3)
    numbers = {source.number for source in urgent.sources}
    assert {"112", "101", "0800 32 123", "1813", "107", "106", "0800 30 030", "1712"} == numbers
    assert all(source.urls for source in urgent.sources)


# ---------------------------------------------------------------- validation


def _data() -> dict[str, Any]:
    return yaml.safe_load(URGENT_FILE.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "urgent.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _without(data: dict[str, Any], *keys: str | int) -> dict[str, Any]:
    target: Any = data
    for key in keys[:-1]:
        target = target[key]
    del target[keys[-1]]
    return data


@pytest.mark.parametrize(
    ("keys", "field"),
    [
        (("topics", 1, "phrases", "nl"), r"topics\[1\] \(violence\)\.phrases\.nl is missing"),
        (("topics", 0, "answer", "spoken"), r"topics\[0\] \(suicide\)\.answer\.spoken is missing"),
        (
            ("topics", 2, "answer", "written", "en"),
            r"topics\[2\] \(distress\)\.answer\.written\.en is missing",
        ),
        (("topics", 0, "id"), r"topics\[0\]\.id is missing"),
        (("checked_on",), "checked_on must be a date"),
        (("sources",), "sources is missing"),
    ],
)
def test_a_missing_field_is_named(tmp_path: Path, keys: tuple[Any, ...], field: str) -> None:
    path = _write(tmp_path, _without(_data(), *keys))
    with pytest.raises(UrgentFileError, match=field) as error:
        load_urgent(path)
    assert str(error.value).startswith(str(path))


def test_an_unsourced_number_is_refused(tmp_path: Path) -> None:
    data = _data()
    data["topics"][2]["answer"]["written"]["fr"] += " Ou appelez le 0800 99 999."
    with pytest.raises(UrgentFileError, match=r"written\.fr gives the number '0800 99 999'"):
        load_urgent(_write(tmp_path, data))


def test_an_empty_phrase_list_and_a_short_prefix_are_refused(tmp_path: Path) -> None:
    data = _data()
    data["topics"][0]["phrases"]["fr"] = []
    with pytest.raises(UrgentFileError, match=r"phrases\.fr is missing or empty"):
        load_urgent(_write(tmp_path, data))
    data = _data()
    data["topics"][0]["phrases"]["en"].append("ki*")
    with pytest.raises(UrgentFileError, match="'ki\\*'"):
        load_urgent(_write(tmp_path, data))


def test_a_duplicate_topic_and_broken_yaml_are_refused(tmp_path: Path) -> None:
    data = _data()
    data["topics"][1]["id"] = "suicide"
    with pytest.raises(UrgentFileError, match="'suicide' twice"):
        load_urgent(_write(tmp_path, data))
    path = tmp_path / "broken.yml"
    path.write_text("topics: [", encoding="utf-8")
    with pytest.raises(UrgentFileError, match=r"broken\.yml: cannot be read"):
        load_urgent(path)
    with pytest.raises(UrgentFileError, match=r"missing\.yml: cannot be read"):
        load_urgent(tmp_path / "missing.yml")
