"""What the small dialogues the hub leads itself share: a step's outcome, the person's
choice among a few words or buttons, and asking for a phone number.

Two dialogues use them: booking a callback (callbacks.py) and sending the steps of a
procedure by SMS (sms_steps.py). The number is the channel's own (a caller's number),
proposed and confirmed with yes or "another number", or typed or keyed in (the phone
collects the keys up to #, `FlowStep.expects_digits`), at most `MAX_NUMBER_TRIES` times.
Pure: the service stores what a `FlowStep` says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.conversations.model import Callback
from bot.conversations.store import NewReply
from bot.folding import fold
from bot.handoff_texts import say, speakable_number
from bot.settings import Language

MAX_NUMBER_TRIES = 3
NO, YES, OTHER = "/callback_no", "/affirm", "/deny"
"""Payloads of the buttons No, Yes and "Another number" (a typed 1, 2, 3 picks them)."""
_BELGIAN_NUMBER = re.compile(r"^(?:\+32|0032|0)([1-9]\d{7,8})$")
_INTERNATIONAL = re.compile(r"^(?:\+|00)([1-9]\d{7,14})$")
ANSWER_WORDS: dict[str, frozenset[str]] = {
    NO: frozenset({"non", "nee", "no", "annuler", "annuleren", "cancel", "stop", "menu",
                   "niets", "rien", "nothing"}),
    YES: frozenset({"oui", "ja", "yes", "ok", "okay", "d'accord", "goed", "correct", "juist"}),
    OTHER: frozenset({"autre", "ander", "andere", "other", "another"}),
}  # fmt: skip
"""The words that answer a yes / another number / no question, in French, Dutch, English."""


@dataclass(frozen=True)
class FlowStep:
    """What one message in a dialogue the hub leads leads to.

    `flow_data` is None when the dialogue is over. `callback` is a request to store.
    `left` is True when the person said no: they go back to the bot (and leave the queue).
    `passed` is True when the message was no answer to the question: the brain answers it.
    """

    replies: list[NewReply]
    flow_data: dict[str, Any] | None
    callback: Callback | None = None
    expects_digits: bool = False
    left: bool = False
    booked: bool = False
    passed: bool = False


@dataclass(frozen=True)
class NumberTexts:
    """The names (in bot/handoff_texts.py) of what a dialogue says while asking a number."""

    confirm: str
    """Proposes a number, `{number}`: "Can we call you on {number}?"."""
    ask: str
    """Asks for one."""
    bad: str = "bad_number"
    """Asks again after something that is no phone number."""


class NumberQuestion:
    """Asks a person for a phone number, with a dialogue's own words.

    Its place in the dialogue is in `flow_data`: step `confirm_number` (a number
    `proposed`) or step `number` (with the `tries` so far).
    """

    CONFIRM, ASK = "confirm_number", "number"

    def __init__(self, texts: NumberTexts) -> None:
        self._texts = texts

    def confirm(
        self, lang: Language, spoken: bool, number: str, data: dict[str, Any] | None = None
    ) -> FlowStep:
        """Propose `number`: Yes, or "Another number"."""
        text = say(self._texts.confirm, lang, spoken, number=shown_number(number, spoken))
        buttons = [button("button_yes", lang, YES), button("button_other_number", lang, OTHER)]
        return FlowStep(
            [NewReply(text, buttons)], {**(data or {}), "step": self.CONFIRM, "proposed": number}
        )

    def ask(self, lang: Language, spoken: bool, data: dict[str, Any]) -> FlowStep:
        """Ask for a number (again, in other words, after one that was not understood)."""
        tries = int(data.get("tries", 0))
        name = self._texts.bad if data.get("step") == self.ASK else self._texts.ask
        return FlowStep(
            [NewReply(say(name, lang, spoken))],
            {**data, "step": self.ASK, "tries": tries + 1},
            expects_digits=True,
        )

    def retry(self, lang: Language, spoken: bool, data: dict[str, Any]) -> FlowStep | None:
        """After something that is no phone number: the question again, or None once the
        person has tried `MAX_NUMBER_TRIES` times."""
        if int(data.get("tries", 0)) >= MAX_NUMBER_TRIES:
            return None
        return self.ask(lang, spoken, data)


def normalise_number(text: str) -> str | None:
    """A phone number as +<digits>, from what a person typed or keyed; None if it is none."""
    compact = re.sub(r"[\s./()\-]", "", text)
    if match := _BELGIAN_NUMBER.match(compact):
        return f"+32{match.group(1)}"
    if match := _INTERNATIONAL.match(compact):
        return f"+{match.group(1)}"
    return None


def chosen(text: str, words: dict[str, frozenset[str]]) -> str | None:
    """Which of `words`' choices a payload or a few words make (None: none of them)."""
    stripped = text.strip()
    if stripped in words:
        return stripped
    said = set(fold(stripped).split())
    for option, vocabulary in words.items():
        if said & vocabulary:
            return option
    return None


def button(name: str, lang: Language, payload: str) -> dict[str, str]:
    """A button titled with the hub's text `name`."""
    return {"title": say(name, lang), "payload": payload}


def shown_number(number: str, spoken: bool) -> str:
    """Belgian numbers the Belgian way (0470 12 34 56); spoken or written alike."""
    return speakable_number(number) if number.startswith("+32") or spoken else number
