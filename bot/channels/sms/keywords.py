"""The words SMS and WhatsApp users send to the service itself: STOP, START, HELP, MORE.

Carriers and Twilio know STOP, START and HELP in English; people in Brussels also write
them in French and Dutch. A keyword is the whole message (case, accents, spaces and a
final full stop do not matter): "stop" is one, "stop the procedure" is a question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.folding import without_accents
from bot.settings import Language


class Keyword(StrEnum):
    """What a keyword asks of the service."""

    STOP = "stop"  # send me nothing more
    START = "start"  # you may write to me again (only means that after a STOP)
    HELP = "help"  # what is this number?
    MORE = "more"  # the rest of a reply too long for one SMS (only when there is a rest)


@dataclass(frozen=True)
class Said:
    """A keyword, and the language its word tells (None: the word is in several)."""

    keyword: Keyword
    language: Language | None


_WORDS: dict[str, Said] = {
    # Twilio's own opt-out words, and the French and Dutch ones.
    **{word: Said(Keyword.STOP, None) for word in ("STOP", "STOPALL", "STOP ALL", "END")},
    **{word: Said(Keyword.STOP, "en") for word in ("UNSUBSCRIBE", "CANCEL", "QUIT")},
    **{word: Said(Keyword.STOP, "fr") for word in ("ARRET", "ARRETER", "STOPPER")},
    "STOPPEN": Said(Keyword.STOP, "nl"),
    **{word: Said(Keyword.START, None) for word in ("START", "UNSTOP")},
    "YES": Said(Keyword.START, "en"),
    **{word: Said(Keyword.START, "fr") for word in ("DEMARRER", "OUI")},
    "JA": Said(Keyword.START, "nl"),
    "HELP": Said(Keyword.HELP, "en"),
    "INFO": Said(Keyword.HELP, None),
    "AIDE": Said(Keyword.HELP, "fr"),
    "HULP": Said(Keyword.HELP, "nl"),
    "MORE": Said(Keyword.MORE, "en"),
    **{word: Said(Keyword.MORE, "fr") for word in ("PLUS", "SUITE")},
    **{word: Said(Keyword.MORE, "nl") for word in ("MEER", "VERDER")},
}
_SPACES = re.compile(r"\s+")


def keyword(body: str) -> Said | None:
    """The keyword `body` is, or None when it is anything else."""
    return _WORDS.get(_normal(body))


def _normal(body: str) -> str:
    """Upper case, without accents, single spaces and a final full stop or exclamation."""
    return _SPACES.sub(" ", without_accents(body)).strip().rstrip(".!").strip().upper()
