"""Sending the steps of the current procedure by SMS ("send me these steps by SMS").

The brain writes the message when the person asks for it: its action's signal
`sms_steps` holds the procedure's name, one short line per step and at most one short
link, in the conversation's language. The hub then leads a small dialogue, like the
callback booking (flows.py): the number (on the phone the caller's own, confirmed with
1; otherwise typed or keyed in, then confirmed), and the SMS is sent once, through the
outbound path, into the person's SMS conversation (`ConversationService.send_to`).

The message is fitted to at most `MAX_SEGMENTS` SMS segments, as the SMS channel counts
them (GSM-7 or UCS-2): all the steps if they fit, without accents if that is what it
takes (an accent outside GSM-7 makes the whole SMS UCS-2, less than half as long),
otherwise the first steps and "...", the link giving the rest. Pure, like callbacks.py:
the service sends and stores what a step says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.conversations.flows import (
    ANSWER_WORDS,
    NO,
    OTHER,
    YES,
    FlowStep,
    NumberQuestion,
    NumberTexts,
    chosen,
    normalise_number,
    shown_number,
)
from bot.conversations.records import ConversationRecord
from bot.conversations.store import NewReply
from bot.folding import without_accents
from bot.handoff_texts import say
from bot.settings import Language

FLOW = "sms_steps"
SIGNAL = "sms_steps"
"""The brain's signal: {"sms_steps": {"title": ..., "steps": [...], "link": ...}}."""
MAX_SEGMENTS = 3
MORE = "..."
"""Ends the list when not every step fits: the link gives the rest."""
_NUMBER = NumberQuestion(
    NumberTexts(confirm="sms_confirm_number", ask="sms_ask_number", bad="sms_bad_number")
)


SegmentCounter = Callable[[str], int]
"""How many SMS segments a text takes (GSM-7: 160 characters, 153 when concatenated;
UCS-2: 70 and 67): the SMS channel's count, lent to the core (which imports no channel)."""


@dataclass(frozen=True)
class StepsMessage:
    """The parts of the SMS, as the brain wrote them."""

    title: str
    steps: list[str]
    link: str | None

    @classmethod
    def of(cls, signal: Any) -> StepsMessage | None:
        """The parts in the brain's signal; None if it holds no steps."""
        if not isinstance(signal, dict):
            return None
        steps = [line for line in signal.get("steps") or [] if isinstance(line, str) and line]
        title, link = signal.get("title"), signal.get("link")
        if not steps or not isinstance(title, str):
            return None
        return cls(title, steps, link if isinstance(link, str) and link else None)

    def fitted(self, count_segments: SegmentCounter) -> str:
        """The SMS with as many steps as fit in `MAX_SEGMENTS`, accents kept if they can be."""
        link = [self.link] if self.link else []
        for kept in range(len(self.steps), -1, -1):
            more = [MORE] if kept < len(self.steps) else []
            text = "\n".join([self.title, *self.steps[:kept], *more, *link])
            for candidate in (text, without_accents(text)):
                if count_segments(candidate) <= MAX_SEGMENTS:
                    return candidate
        return without_accents(text)  # the name and the link: a few dozen characters


@dataclass(frozen=True)
class Send:
    """The person confirmed: send `text` (`segments` SMS segments) to `number`."""

    number: str
    text: str
    segments: int


class SmsSteps:
    """The dialogue; one instance serves every conversation."""

    def __init__(self) -> None:
        self.count_segments: SegmentCounter | None = None

    def connect(self, count_segments: SegmentCounter) -> None:
        """The SMS channel can write first (it has a number to send from): steps can be
        sent from now on, fitted with its count of segments."""
        self.count_segments = count_segments

    def start(self, conversation: ConversationRecord, signal: Any, spoken: bool) -> FlowStep:
        """The brain's signal: propose the caller's own number, or ask for one."""
        lang = conversation.language
        message = StepsMessage.of(signal)
        if self.count_segments is None or message is None:
            return FlowStep([NewReply(say("sms_unavailable", lang))], None)
        data = {"text": message.fitted(self.count_segments)}
        own = normalise_number(conversation.contact or "")
        if own is not None and receives_sms(own):
            return _NUMBER.confirm(lang, spoken, own, data)
        return _NUMBER.ask(lang, spoken, data)

    def advance(self, conversation: ConversationRecord, text: str, spoken: bool) -> FlowStep | Send:
        """The person's answer: a number, yes, another number, or no.

        A message that answers none of it (the person moved on: "next step") ends the
        dialogue and goes to the brain.
        """
        lang, data = conversation.language, dict(conversation.flow_data)
        answer = chosen(text, ANSWER_WORDS)
        if answer == NO:
            return FlowStep([NewReply(say("flow_cancelled", lang, spoken))], None, left=True)
        if data.get("step") == NumberQuestion.CONFIRM:
            if answer == YES and self.count_segments is not None:
                text = data["text"]
                return Send(data["proposed"], text, self.count_segments(text))
            if answer == OTHER:
                return _NUMBER.ask(lang, spoken, {"text": data["text"]})
            return FlowStep([], None, passed=True)
        if not any(c.isdigit() for c in text):
            return FlowStep([], None, passed=True)
        number = normalise_number(text)
        if number is not None and receives_sms(number):
            return _NUMBER.confirm(lang, spoken, number, {"text": data["text"]})
        again = _NUMBER.retry(lang, spoken, data)
        return again or FlowStep([NewReply(say("flow_cancelled", lang, spoken))], None, left=True)


def receives_sms(number: str) -> bool:
    """Whether an SMS can reach `number`: a Belgian mobile (04..), or a foreign number."""
    return number.startswith("+324") or not number.startswith("+32")


def sent_reply(lang: Language, number: str, delivered: bool, spoken: bool) -> str:
    """What the person is told once the SMS was handed to the channel, or not."""
    if not delivered:
        return say("sms_not_sent", lang)
    return say("sms_sent", lang, number=shown_number(number, spoken))
