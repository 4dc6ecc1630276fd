"""Tests of actions/plain_language.py, and the plain-language check of the real content.

Pure: no Rasa needed. The counters and formulas are tested on known examples; then
`test_everything_the_bot_says_is_plain_language` reads every text the bot can say (the
catalogue, the language names of the menu and the hub's own sentences in bot/texts.py)
and fails with the worst offenders. Run with -s to see the per-language figures.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

import pytest

from actions import plain_language as pl
from actions.catalogue import (
    LANGUAGES,
    Catalogue,
    Messages,
    Phrase,
    Procedure,
    Text,
    default_content_dir,
    load_catalogue,
    spoken_problem,
)
from actions.render import LANGUAGE_NAMES
from bot import handoff_texts
from bot import texts as bot_texts
from bot.channels.phone import prompts as phone_prompts
from bot.channels.sms import texts as messaging_texts


def hub_texts() -> dict[str, dict[str, str]]:
    """Every sentence the hub can say (bot/texts.py, bot/handoff_texts.py), per language,
    placeholders kept as {name}."""
    return {
        **{f"bot/texts.py {name}": dict(table) for name, table in bot_texts.all_texts().items()},
        **{
            f"bot/handoff_texts.py {name}": dict(table)
            for name, table in handoff_texts.all_texts().items()
        },
    }


def other_texts() -> dict[str, dict[str, str]]:
    """Texts the bot says outside the catalogue: the hub's, the phone's, the language buttons."""
    names = {lang: LANGUAGE_NAMES[lang] for lang in LANGUAGES}
    phone = {
        f"bot/channels/phone/prompts.py {name}": texts
        for name, texts in phone_prompts.all_texts().items()
    }
    messaging = {
        f"bot/channels/sms/texts.py {name}": texts
        for name, texts in messaging_texts.all_texts().items()
    }
    return {**hub_texts(), **phone, **messaging, "actions/render.py LANGUAGE_NAMES": names}


@pytest.fixture(scope="module")
def real_measures() -> list[pl.Measure]:
    """Every text of the real content, bot/texts.py and the language names, measured."""
    return pl.measure(load_catalogue(default_content_dir()), other_texts())


# ---------------------------------------------------------------- sentences and words


def test_languages_are_the_catalogue_languages() -> None:
    assert pl.LANGUAGES == LANGUAGES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello. How are you? Fine!", ["Hello", "How are you", "Fine"]),
        ("It costs 2.5 euros. Pay now.", ["It costs 2.5 euros", "Pay now"]),
        ("Call Doc Stop: 00800 2123 2123.", ["Call Doc Stop", "00800 2123 2123"]),
        ("Choisissez un sujet ? Oui !", ["Choisissez un sujet", "Oui"]),
        ("Étape 2 sur 3 :", ["Étape 2 sur 3"]),
        ("First line\nsecond line", ["First line", "second line"]),
        ("- Bring your card\n- Bring a photo", ["Bring your card", "Bring a photo"]),
        ("1. Go to the commune.\n2) Ask for a card", ["Go to the commune", "Ask for a card"]),
        (
            "Open https://www.irisbox.brussels/fr today.",
            ["Open https://www.irisbox.brussels/fr today"],
        ),
        ("Wait... then call.", ["Wait", "then call"]),
        ("« Bonjour. » Merci.", ["« Bonjour", "Merci"]),
        ("?", []),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert pl.split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The cat sat on the mat.", 6),
        ("Call 00800 2123 2123 now.", 3),  # a grouped phone number is one word
        ("au 00, 800, 21 23, 21 23.", 2),
        ("De l'étranger : +32 2 518 2123.", 3),
        ("Call 078 170 170, day and night.", 5),
        ("in 3 to 5 days", 5),  # numbers apart are words apart
        ("It costs 2.5 euros, or 2,5 euros.", 7),
        ("Bel 02/279.22.11 nu.", 3),
        ("Write to info@irisnet.be or see www.irisbox.brussels today", 7),
        ("There are {total} steps.", 4),
        ("Écrivez « menu » — pour voir", 4),  # quotes and dashes are no words
        ("Votre carte d'identité, moi-même.", 4),
    ],
)
def test_count_words(text: str, expected: int) -> None:
    assert pl.count_words(text) == expected


# ---------------------------------------------------------------- syllables


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("the", 1),
        ("cat", 1),
        ("make", 1),  # silent final e
        ("table", 2),  # consonant + le is spoken
        ("whole", 1),
        ("makes", 1),  # silent -es
        ("houses", 2),  # -es after s is spoken
        ("changes", 2),
        ("blocked", 1),  # silent -ed
        ("extended", 3),  # -ed after d is spoken
        ("question", 2),  # qu, and io as one nucleus
        ("you", 1),  # y before a vowel is a consonant
        ("player", 2),
        ("goodbye", 2),
        ("certificate", 4),
        ("population", 4),
        ("naïve", 2),
        ("Belgium", 2),
        ("Doc", 1),
    ],
)
def test_english_syllables(word: str, expected: int) -> None:
    assert pl.count_syllables(word, "en") == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("le", 1),  # a single nucleus keeps its e
        ("carte", 1),  # silent final e
        ("commune", 2),
        ("étapes", 2),  # silent final es
        ("eau", 1),
        ("oiseau", 2),
        ("bonjour", 2),
        ("aussi", 2),
        ("pleine", 1),
        ("nuit", 1),
        ("peut", 1),
        ("guichet", 2),  # gu before i
        ("langue", 1),
        ("quoi", 1),  # qu
        ("créer", 2),  # é before a vowel: hiatus
        ("réunion", 3),
        ("journée", 2),  # final -ée: the e is silent
        ("idées", 2),
        ("moyen", 2),  # y between vowels
        ("payer", 2),
        ("Noël", 2),  # diaeresis
        ("d'identité", 4),
        ("moi-même", 2),
        ("ordinateur", 4),
        ("téléphone", 3),
    ],
)
def test_french_syllables(word: str, expected: int) -> None:
    assert pl.count_syllables(word, "fr") == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("kat", 1),
        ("huis", 1),  # ui
        ("nieuwe", 2),  # ieu, and a spoken final e
        ("leeuw", 1),  # eeu
        ("mooi", 1),  # ooi
        ("groei", 1),  # oei
        ("blijven", 2),  # ij
        ("rijksregisternummer", 6),
        ("gemeente", 3),
        ("sociaal", 3),  # i and aa apart
        ("idee", 2),
        ("België", 3),  # diaeresis
        ("één", 1),  # stress accents do not count
        ("identiteitskaart", 5),
        ("gezinssamenstelling", 6),
        ("politie", 3),
    ],
)
def test_dutch_syllables(word: str, expected: int) -> None:
    assert pl.count_syllables(word, "nl") == expected


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("8", 1),
        ("2026", 1),
        ("00800 2123 2123", 3),  # one syllable per digit group
        ("00, 800, 21 23, 21 23", 6),
        ("+32 2 518 2123", 4),
        ("{total}", 1),  # a placeholder
    ],
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_number_and_placeholder_syllables(word: str, expected: int, lang: str) -> None:
    assert pl.count_syllables(word, lang) == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_word_has_a_syllable(lang: str) -> None:
    for word in ("s", "qu'", "www", "PIN", "«x»", "x"):
        assert pl.count_syllables(word, lang) >= 1


# ---------------------------------------------------------------- formulas


def test_pinned_formulas() -> None:
    # 100 words, 10 sentences, 150 syllables: ASL 10, ASW 1.5
    assert pl.flesch_reading_ease(100, 10, 150) == pytest.approx(206.835 - 10.15 - 126.9)
    assert pl.flesch_douma(100, 10, 150) == pytest.approx(206.835 - 9.3 - 115.5)
    assert pl.kandel_moles(100, 10, 150) == pytest.approx(207 - 10.15 - 110.4)
    assert {lang: name for lang, (name, _) in pl.FORMULAS.items()} == {
        "fr": "Kandel-Moles",
        "nl": "Flesch-Douma",
        "en": "Flesch reading ease",
    }


def test_text_stats_counts() -> None:
    stats = pl.text_stats("The cat sat on the mat. It was happy.", "en")
    assert stats.sentences == ("The cat sat on the mat", "It was happy")
    assert stats.sentence_words == (6, 3)
    assert (stats.words, stats.syllables) == (9, 10)
    assert stats.average_words == pytest.approx(4.5)
    assert stats.score == pytest.approx(206.835 - 1.015 * 4.5 - 84.6 * 10 / 9)


@pytest.mark.parametrize(
    ("lang", "easy", "hard"),
    [
        (
            "en",
            "The cat sat on the mat.",
            "The implementation of comprehensive administrative simplification initiatives "
            "necessitates considerable interdepartmental coordination, sustained political "
            "commitment and substantial investment in organisational capabilities across "
            "governmental institutions.",
        ),
        (
            "fr",
            "Le chat dort sur le lit.",
            "L'administration communautaire nécessite une réorganisation institutionnelle "
            "considérablement approfondie concernant l'interopérabilité des infrastructures "
            "informatiques gouvernementales et la dématérialisation des procédures "
            "administratives.",
        ),
        (
            "nl",
            "De kat zit op de mat.",
            "De implementatie van grootschalige administratieve vereenvoudigingsinitiatieven "
            "vereist aanzienlijke interdepartementale coördinatie en organisatorische "
            "capaciteitsversterking binnen de desbetreffende overheidsinstellingen.",
        ),
    ],
)
def test_easy_text_scores_high_and_academic_text_scores_low(
    lang: str, easy: str, hard: str
) -> None:
    assert pl.readability(easy, lang) > 100
    assert pl.readability(hard, lang) < 30


def test_readability_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        pl.readability("Hallo.", "de")


# ---------------------------------------------------------------- spoken forms

SPOKEN_ADDRESSES = [
    "Go to irisbox.brussels to do it.",
    "See www.docstop.be.",
    "Open https://example.org/x.",
    "Écrivez à info@irisnet.be.",
    "Kijk op economie.fgov.be voor meer.",
]
SPOKEN_FINE = [
    "Use Iris box or Mon dossier.",
    "It costs 2.5 euros, in 3-5 days.",
    "Appelez le plus 32, 2, 518, 21 23.",
    "Bel Doc Stop op 00, 800, 21 23, 21 23.",
    "Card Stop: 078 170 170.",
    "1000 Bruxelles, in 3 to 5 days, in 2026.",
]


@pytest.mark.parametrize("text", SPOKEN_ADDRESSES)
def test_spoken_address_is_found(text: str) -> None:
    assert pl.spoken_address_problems(text)
    assert spoken_problem(text) is not None  # the catalogue refuses it at load too


@pytest.mark.parametrize("text", SPOKEN_FINE)
def test_spoken_text_without_address_passes(text: str) -> None:
    assert pl.spoken_address_problems(text) == []
    assert spoken_problem(text) is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("From abroad, call +32 2 518 2123.", "'+32'"),
        ("Bel 0800120 33.", "'0800120'"),
        ("Appelez le 025185123.", "'025185123'"),
        ("Bel 02/279.22.11.", "'02/279.22.11'"),
        ("Call 02-279-22-11.", "'02-279-22-11'"),
        ("Bel 02.279.22.11.", "'02.279.22.11'"),
        ("Appelez le 02/2792211.", "'02/2792211'"),
        ("Date: 30/11/2026.", "'30/11/2026'"),
    ],
)
def test_phone_number_not_grouped_for_speech_is_found(text: str, found: str) -> None:
    problems = pl.spoken_phone_problems(text)
    assert problems
    assert any(found in problem for problem in problems)


@pytest.mark.parametrize("text", SPOKEN_FINE)
def test_phone_number_grouped_for_speech_passes(text: str) -> None:
    assert pl.spoken_phone_problems(text) == []


# ---------------------------------------------------------------- walking a catalogue

LONG_EN = (
    "When you have moved to another commune in Brussels you must tell the population "
    "service of that commune within eight working days."
)  # 22 words


def same(text: str) -> Text:
    return Text(fr=text, nl=text, en=text)


def small_catalogue() -> Catalogue:
    """A catalogue with known faults, built directly (no files)."""
    plain = same("Go to the commune. Ask for the form. Fill it in.")
    step_long = Phrase(
        written=Text(fr=plain.fr, nl=plain.nl, en=LONG_EN),
        spoken=Text(fr=plain.fr, nl=plain.nl, en=LONG_EN),
    )
    step_phone = Phrase(
        written=same("Call Doc Stop on 00800 2123 2123. From abroad, call +32 2 518 2123."),
        spoken=same("Call Doc Stop on 00, 800, 21 23, 21 23. From abroad, call +32 2 518 2123."),
    )
    procedure = Procedure(
        id="test-proc",
        intent="proc_test",
        checked_on=datetime.date(2026, 11, 30),
        sources=("https://example.org",),
        title=same("A test"),
        summary=same("How to do a simple test."),
        who=same("If you want a test."),
        steps=(step_long, step_phone),
        cost=Phrase(written=same("It is free."), spoken=same("It is free.")),
    )
    hello = same("Hello.")
    messages = Messages(
        {
            "greeting": Phrase(written=hello, spoken=hello),  # one form, like the YAML
            "hard": Phrase(
                written=same(
                    "Administrative documentation necessitates considerable "
                    "organisational preparation."
                ),
                spoken=same("Go to irisbox.brussels for the form, please."),
            ),
        }
    )
    return Catalogue(procedures={"test-proc": procedure}, messages=messages)


def by_rule(findings: list[pl.Finding]) -> Mapping[str, list[pl.Finding]]:
    grouped: dict[str, list[pl.Finding]] = {}
    for found in findings:
        grouped.setdefault(found.rule, []).append(found)
    return grouped


def test_check_catalogue_finds_each_rule_and_names_the_field() -> None:
    findings = pl.check_catalogue(small_catalogue(), {"bot/texts.py x": {"en": "Bel 025185123."}})
    rules = by_rule(findings)
    base = "content/procedures/test-proc.yml "

    (long_sentence,) = rules[pl.RULE_SENTENCE]
    assert long_sentence.where == base + "steps[0].written.en (= spoken)"
    assert long_sentence.language == "en"
    assert long_sentence.value == 22
    assert long_sentence.text == LONG_EN.rstrip(".")

    assert [f.where for f in rules[pl.RULE_AVERAGE]] == [base + "steps[0].written.en (= spoken)"]
    assert rules[pl.RULE_AVERAGE][0].value == 22

    phone = {f.where for f in rules[pl.RULE_SPOKEN_PHONE]}
    assert phone == {
        *(f"{base}steps[1].spoken.{lang}" for lang in LANGUAGES),
        "bot/texts.py x.en",
    }  # the written form may say +32; the spoken one may not

    addresses = {f.where for f in rules[pl.RULE_SPOKEN_ADDRESS]}
    assert addresses == {f"content/messages.yml hard.spoken.{lang}" for lang in LANGUAGES}

    scores = {f.where for f in rules[pl.RULE_SCORE]}
    assert "content/messages.yml hard.written.en" in scores
    assert all(f.value < pl.MIN_SCORE for f in rules[pl.RULE_SCORE])


def test_short_texts_and_titles_are_not_scored() -> None:
    measures = pl.measure(small_catalogue())
    kinds = {m.where: m for m in measures}
    title = kinds["content/procedures/test-proc.yml title.en"]
    assert (title.kind, title.scored) == ("title", False)
    greeting = kinds["content/messages.yml greeting.en"]  # one form: no written/spoken
    assert (greeting.spoken, greeting.scored) == (True, False)
    assert kinds["content/procedures/test-proc.yml summary.en"].scored


def test_every_text_is_walked() -> None:
    cat = small_catalogue()
    wheres = {m.where for m in pl.measure(cat, {"bot/texts.py x": {"fr": "Bonjour."}})}
    base = "content/procedures/test-proc.yml "
    expected_fields = ["title", "summary", "who"]
    for lang in LANGUAGES:
        for name in expected_fields:
            assert f"{base}{name}.{lang}" in wheres
        assert f"{base}steps[1].written.{lang}" in wheres
        assert f"{base}steps[1].spoken.{lang}" in wheres
        assert f"{base}cost.written.{lang} (= spoken)" in wheres
        assert f"content/messages.yml greeting.{lang}" in wheres
    assert "bot/texts.py x.fr" in wheres


def test_unknown_language_in_hub_texts_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        pl.check_catalogue(small_catalogue(), {"bot/texts.py x": {"de": "Hallo."}})


def test_report_lists_worst_first_and_figures() -> None:
    cat = small_catalogue()
    measures = pl.measure(cat)
    findings = pl.check_measures(measures)
    text = pl.report(findings, limit=1, measures=measures)
    assert text.startswith(f"Plain-language check: {len(findings)} findings")
    # limit=1 per rule: the lowest score only, the others counted
    scores = sorted(f.value for f in findings if f.rule == pl.RULE_SCORE)
    assert f"score {scores[0]:.1f}" in text
    if len(scores) > 1:
        assert f"... and {len(scores) - 1} more" in text
    assert "Readability figures per language" in text
    assert pl.report([]) == "Plain-language check: no findings."


# ---------------------------------------------------------------- the real content


def test_everything_the_bot_says_is_plain_language(real_measures: list[pl.Measure]) -> None:
    findings = pl.check_measures(real_measures)
    assert not findings, "\n" + pl.report(findings, measures=real_measures)


def test_print_readability_figures(real_measures: list[pl.Measure]) -> None:
    """Shows the figures per language (pytest -s) for the issue's closing note."""
    figures = pl.language_figures(real_measures)
    assert set(figures) == set(LANGUAGES)
    print()
    print(pl.format_figures(figures))
