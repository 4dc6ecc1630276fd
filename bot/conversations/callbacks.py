"""Booking a callback, or leaving a message, when no person can answer now.

A small dialogue the hub leads itself (the brain is not asked while it runs), the same
on every channel: the offer (call me back / leave a message / no thanks), the number
(the channel's own, confirmed, or typed or keyed in: flows.NumberQuestion), the
half-day, and a confirmation that says who will call, when and in which language. Its
place is kept in the conversation's `flow_data`, so it survives a restart. Pure: the
service stores what a `FlowStep` says.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from bot.conversations.flows import (
    ANSWER_WORDS,
    NO,
    YES,
    FlowStep,
    NumberQuestion,
    NumberTexts,
    button,
    chosen,
    normalise_number,
)
from bot.conversations.model import Callback, CallbackKind
from bot.conversations.office_hours import OfficeHours
from bot.conversations.records import ConversationRecord
from bot.conversations.store import NewReply
from bot.handoff_texts import SPEAKING, half_day, say, speakable_number, when
from bot.settings import Language

FLOW = "callback"
CLOSED, BUSY = "closed", "busy"
"""Why the offer was made: the helpdesk is closed, or nobody is free."""
HALF_DAYS_OFFERED = 3
CALLBACK, MESSAGE = "/callback_yes", "/callback_message"
STOP_WAITING = "/stop_waiting"
_WORDS: dict[str, frozenset[str]] = {
    CALLBACK: frozenset({"rappel", "rappeler", "rappelez", "terugbellen", "bellen", "call",
                         "callback", "back", "appel", "appeler"}),
    MESSAGE: frozenset({"message", "bericht", "boodschap"}),
    **ANSWER_WORDS,
}  # fmt: skip
_NUMBER = NumberQuestion(NumberTexts(confirm="confirm_number", ask="ask_number"))


class CallbackBooking:
    """The dialogue; one instance serves every conversation."""

    def __init__(self, office_hours: OfficeHours) -> None:
        self._hours = office_hours

    def offer(
        self,
        conversation: ConversationRecord,
        now: datetime,
        spoken: bool,
        closed: bool,
        queued: bool = False,
    ) -> FlowStep:
        """The first step: why nobody answers now, and the choices.

        `queued`: the person is in the queue and may keep waiting instead.
        """
        lang = conversation.language
        opens = when(self._hours.next_opening(now), lang, now)
        why = say("closed_now", lang, when=opens) if closed else say("nobody_free", lang)
        last = (
            button("button_stop_waiting", lang, STOP_WAITING)
            if queued
            else button("button_no", lang, NO)
        )
        buttons = [
            button("button_callback", lang, CALLBACK),
            button("button_message", lang, MESSAGE),
            last,
        ]
        offer = say("offer_queued" if queued else "offer", lang, spoken)
        data = {"step": "offer", "queued": queued, "offered": CLOSED if closed else BUSY}
        return FlowStep([NewReply(f"{why} {offer}", buttons)], data)

    def advance(
        self, conversation: ConversationRecord, text: str, now: datetime, spoken: bool
    ) -> FlowStep:
        """The person's answer to the last step."""
        data = dict(conversation.flow_data)
        step = data.get("step")
        choice = _choice(text)
        if step == "offer" and choice is None:
            return FlowStep([], None, passed=True)
        if choice == NO and step != "message":
            if data.get("queued"):  # no callback: the person keeps their place
                return FlowStep([NewReply(say("keep_place", conversation.language))], None)
            return self._cancel(conversation.language, spoken)
        if step == "offer":
            return self._after_offer(conversation, choice, now, spoken)
        if step == NumberQuestion.CONFIRM:
            if choice == YES:
                return self._ask_half_day(conversation, {"phone": data["proposed"]}, now, spoken)
            return _NUMBER.ask(conversation.language, spoken, {})
        if step == NumberQuestion.ASK:
            return self._after_number(conversation, text, data, now, spoken)
        if step == "half_day":
            return self._after_half_day(conversation, text, data, now, spoken)
        if step == "message":
            return self._after_message(conversation, text, now)
        return self._cancel(conversation.language, spoken)

    def _after_offer(
        self, conversation: ConversationRecord, choice: str | None, now: datetime, spoken: bool
    ) -> FlowStep:
        lang = conversation.language
        if choice == MESSAGE:
            later = when(self._hours.next_opening(now), lang, now)
            return FlowStep([NewReply(say("ask_message", lang, spoken, when=later))],
                            {"step": "message"})  # fmt: skip
        if conversation.contact and (number := normalise_number(conversation.contact)):
            return _NUMBER.confirm(lang, spoken, number)
        return _NUMBER.ask(lang, spoken, {})

    def _after_number(
        self,
        conversation: ConversationRecord,
        text: str,
        data: dict[str, Any],
        now: datetime,
        spoken: bool,
    ) -> FlowStep:
        number = normalise_number(text)
        if number is not None:
            return self._ask_half_day(conversation, {"phone": number}, now, spoken)
        again = _NUMBER.retry(conversation.language, spoken, data)
        return again or self._cancel(conversation.language, spoken)

    def _ask_half_day(
        self, conversation: ConversationRecord, data: dict[str, Any], now: datetime, spoken: bool
    ) -> FlowStep:
        lang = conversation.language
        today = self._today(now)
        options = self._hours.half_days(now, HALF_DAYS_OFFERED)
        labels = [half_day(day, half, lang, today) for day, half in options]
        buttons = [
            {"title": _capital(label), "payload": f"/half_day_{index}"}
            for index, label in enumerate(labels)
        ]
        text = say("ask_half_day", lang)
        if spoken:  # the phone reads the options with their keys
            text += "".join(
                " " + say("half_day_option_spoken", lang, when=_capital(label), key=index + 1)
                for index, label in enumerate(labels)
            )
        options_data = [[day.isoformat(), half] for day, half in options]
        return FlowStep(
            [NewReply(text, buttons)], {**data, "step": "half_day", "options": options_data}
        )

    def _after_half_day(
        self,
        conversation: ConversationRecord,
        text: str,
        data: dict[str, Any],
        now: datetime,
        spoken: bool,
    ) -> FlowStep:
        options = data.get("options") or []
        match = re.fullmatch(r"/half_day_(\d)", text.strip())
        index = int(match.group(1)) if match else -1
        if not 0 <= index < len(options):
            return self._ask_half_day(conversation, {"phone": data.get("phone")}, now, spoken)
        day, half = date.fromisoformat(options[index][0]), options[index][1]
        lang = conversation.language
        callback = Callback(
            conversation_id=conversation.id,
            kind=CallbackKind.CALLBACK,
            phone=data.get("phone"),
            language=lang,
            due_date=day,
            half_day=half,
            created_at=now,
        )
        label = half_day(day, half, lang, self._today(now))
        reply = say(
            "callback_booked",
            lang,
            number=speakable_number(data.get("phone") or ""),
            when=label,
            speaking=SPEAKING[lang][lang],
        )
        return FlowStep([NewReply(reply)], None, callback=callback, booked=True)

    def _after_message(
        self, conversation: ConversationRecord, text: str, now: datetime
    ) -> FlowStep:
        lang = conversation.language
        opening = self._hours.next_opening(now)
        callback = Callback(
            conversation_id=conversation.id,
            kind=CallbackKind.MESSAGE,
            phone=normalise_number(conversation.contact or ""),
            language=lang,
            due_date=opening.date(),
            half_day="am" if opening.hour < 12 else "pm",
            message=text,
            created_at=now,
        )
        reply = say("message_left", lang, when=when(opening, lang, now))
        return FlowStep([NewReply(reply)], None, callback=callback, booked=True)

    def _cancel(self, lang: Language, spoken: bool) -> FlowStep:
        return FlowStep([NewReply(say("flow_cancelled", lang, spoken))], None, left=True)

    def _today(self, now: datetime) -> date:
        return self._hours.local(now).date()


def _choice(text: str) -> str | None:
    """Which choice of the offer or the number question a payload, a menu number or a few
    words make."""
    return chosen(text, _WORDS)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
