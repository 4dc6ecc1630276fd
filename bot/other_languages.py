"""Languages Loket does not speak: their fixed messages, from content/other_languages.yml.

A person who writes in Turkish or Arabic is told, in their language, that Loket speaks
French, Dutch and English, how to choose one, and how to reach a person. The texts are
written once by people and reviewed by native speakers; nothing is translated at run
time. Recognising the language is `bot.languages.other_language`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import ROOT, Language

CONTENT = ROOT / "content" / "other_languages.yml"
# The buttons' titles: the messages name the languages this way.
LANGUAGE_TITLES: Mapping[Language, str] = {"fr": "Français", "nl": "Nederlands", "en": "English"}


@dataclass(frozen=True)
class OtherLanguage:
    """One language Loket does not speak, with what it says to people who write in it."""

    code: str
    """ISO 639-1 code: "tr", "ar"..."""
    name: str
    """The language's own name ("Türkçe"), for agents."""
    message: str
    """The fixed message: the languages Loket speaks, how to choose, how to reach a person."""
    person: str
    """The title of the "talk to a person" button."""
    words: frozenset[str]
    """Very short messages made only of these words are in this language ("hola")."""
    reviewed: bool
    """A native speaker has signed the texts off."""


def load_other_languages(path: Path = CONTENT) -> Mapping[str, OtherLanguage]:
    """Every language of the file, by code; ValueError names what is missing."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    languages = {}
    for code, entry in (data.get("languages") or {}).items():
        missing = [key for key in ("name", "message", "person") if not entry.get(key)]
        if missing:
            raise ValueError(f"{path.name}: language {code!r} has no {', '.join(missing)}")
        languages[code] = OtherLanguage(
            code=code,
            name=entry["name"],
            message=" ".join(entry["message"].split()),
            person=entry["person"],
            words=frozenset(word.lower() for word in entry.get("words") or []),
            reviewed=bool(entry.get("reviewed")),
        )
    return languages


def language_buttons() -> list[dict[str, str]]:
    """One button per language Loket speaks, titled in that language, switching to it.

    The payload is the brain's `switch_language` intent, as its own language buttons send.
    """
    return [
        {"title": title, "payload": "/switch_language" + json.dumps({"language": code})}
        for code, title in LANGUAGE_TITLES.items()
    ]


@lru_cache(maxsize=1)
def other_languages() -> Mapping[str, OtherLanguage]:
    """The languages of content/other_languages.yml, read once."""
    return load_other_languages()
