"""People who write in a language Loket does not speak get a fixed message in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.languages import other_language
from bot.other_languages import load_other_languages, other_languages
from nlu.examples import plain_text, read_examples
from tests.fakes import FakeBrain

REPO = Path(__file__).resolve().parents[2]
# The languages most spoken in Brussels besides French, Dutch and English (issue 11).
REQUIRED = {"ar", "tr", "es", "pt", "ro", "pl", "bg", "it", "de", "ru", "uk"}


def _own_examples() -> list[str]:
    """Every training and held-out example in French, Dutch and English."""
    files = [
        *sorted((REPO / "nlu").glob("*.yml")),
        *(REPO / "tests" / "nlu").glob("[fne][rln].yml"),
    ]
    return [plain_text(line) for path in files for _, line in read_examples(path)]


def test_every_language_most_spoken_in_brussels_has_its_message():
    assert set(other_languages()) >= REQUIRED


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_a_message_names_the_three_languages_and_the_way_to_a_person(code: str):
    language = other_languages()[code]
    for name in ("français", "Nederlands", "English"):
        assert name in language.message  # the buttons' titles, as the person will see them
    assert language.person in language.message  # on SMS the buttons become numbered lines


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("merhaba", "tr"),
        ("hola, necesito ayuda", "es"),
        ("Ich habe meinen Ausweis verloren", "de"),
        ("لقد فقدت بطاقة هويتي", "ar"),
        ("здравствуйте", "ru"),
        ("Zgubiłem dowód osobisty, co mam zrobić", "pl"),
    ],
)
def test_messages_in_other_languages_are_recognised(text: str, code: str):
    assert other_language(text) == code


@pytest.mark.parametrize("text", ["ok", "ciao", "hallo", "salut", "1030", "merci dank u", ""])
def test_words_every_language_uses_tell_nothing(text: str):
    assert other_language(text) is None


def test_no_message_in_french_dutch_or_english_is_taken_for_another_language():
    sent_away = [(text, other_language(text)) for text in _own_examples()]
    assert [pair for pair in sent_away if pair[1] is not None] == []


def test_a_language_without_its_message_is_refused_when_loading(tmp_path: Path):
    path = tmp_path / "other_languages.yml"
    path.write_text("languages:\n  tr:\n    name: Türkçe\n    person: Bir kişi\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'tr' has no message"):
        load_other_languages(path)


async def test_a_person_writing_in_turkish_gets_the_turkish_message_and_the_choices(
    hub, brain: FakeBrain
):
    url = "/api/conversations/tr-1/messages"
    answer = await (await hub.post(url, json={"text": "Kimlik kartımı kaybettim"})).json()
    [reply] = answer["replies"]
    assert reply["text"] == other_languages()["tr"].message
    titles = [button["title"] for button in reply["buttons"]]
    assert titles == ["Français", "Nederlands", "English", other_languages()["tr"].person]
    assert brain.received == []  # a fixed text: nothing is translated or asked of the brain

    await hub.post(url, json={"text": reply["buttons"][0]["payload"]})
    assert brain.received[0]["message"] == '/switch_language{"language": "fr"}'
