"""Reporting a problem with an online public procedure ("IRISbox is only in French").

The brain recognises the wish (intent report_problem) and signals `problem_report`; the
hub then leads a small dialogue, like sending the steps by SMS (sms_steps.py), one
question at a time in the person's language: which service (recognised from
content/problem_reports.yml, or the person's own words), what went wrong, their own
words (optional), and whether and how they want an answer (no / here / by phone, the
number asked with flows.NumberQuestion). What the first message already said (service,
category) is not asked again. The report is then filed with a short reference, said
character by character on the phone; it can be heard again (`*`, "repeat") until the
person moves on. Pure, like callbacks.py: the service stores what a step says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.conversations import reports
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
)
from bot.conversations.inbound import KEYS_ONLY
from bot.conversations.model import ProblemReport
from bot.conversations.records import ConversationRecord
from bot.conversations.store import NewReply
from bot.settings import Language

FLOW = "problem_report"
SIGNAL = "problem_report"
"""The brain's signal: {"problem_report": "asked"}; the hub reads the message itself."""
REPEAT = "/step_repeat"
"""The phone's `*` (and the brain's repeat button): the question, or the reference, again."""
SERVICE, CATEGORY, SKIP, CONTACT = (
    "/report_service:",
    "/report_category:",
    "/report_skip",
    ("/report_contact:"),
)
SERVICE_KEYS, CATEGORY_KEYS = 5, 6
"""Options read with a key on the phone (spoken menus never read more than 6)."""
MAX_CONTACT_TRIES = 2
_FILED = "filed"
_WORDS: dict[str, frozenset[str]] = {
    "cancel": frozenset({"annuler", "annuleren", "cancel", "stop", "laat", "laisse"}),
    "skip": frozenset({"passer", "passe", "overslaan", "skip", "non", "nee", "no", "rien",
                       "niets", "nothing", "pas"}),
    "repeat": frozenset({"repeter", "repete", "herhalen", "herhaal", "repeat", "again",
                         "encore"}),
    "phone": frozenset({"telephone", "telefoon", "phone", "appeler", "bellen", "call", "gsm"}),
}  # fmt: skip
"""Words that answer a question of the report (compared without accents)."""
_NUMBER = NumberQuestion(NumberTexts(confirm="confirm_number", ask="ask_number"))


@dataclass(frozen=True)
class Filed:
    """The report is complete: store `report` with the step's replies."""

    step: FlowStep
    report: ProblemReport


def start(conversation: ConversationRecord, said: str, spoken: bool) -> FlowStep:
    """The brain's signal: keep what the first message said, ask what is still missing."""
    data: dict[str, Any] = {}
    if service := reports.recognise(said, reports.services()):
        data["service"] = service
    category = reports.recognise(said, reports.categories())
    if category not in (None, reports.OTHER):  # "autre chose" in a first message says little
        data["category"] = category
    return _next(conversation, data, spoken)


def advance(
    conversation: ConversationRecord, text: str, now: datetime, spoken: bool
) -> FlowStep | Filed:
    """The person's answer to the last question.

    A button of another dialogue (a payload that is not the report's) ends the report
    and goes to the brain, as a message after the reference does.
    """
    data, step = dict(conversation.flow_data), conversation.flow_data.get("step")
    if step == _FILED:
        return _filed_again(conversation, data, text, spoken)
    if text == REPEAT:
        return _next(conversation, _without_step(data), spoken)
    if text.startswith("/") and not text.startswith("/report_") and text not in (YES, NO, OTHER):
        return FlowStep([], None, passed=True)
    if step in ("service", "category") and _said(text, "cancel"):
        lang = conversation.language
        return FlowStep([NewReply(reports.text("cancelled", lang, spoken))], None, left=True)
    answer = {
        "service": _service,
        "category": _category,
        "description": _description,
        "contact": _contact,
        NumberQuestion.CONFIRM: _confirmed_number,
        NumberQuestion.ASK: _typed_number,
    }.get(str(step))
    if answer is None:  # pragma: no cover - every step the dialogue stores is listed
        return FlowStep([], None, passed=True)
    return _next_or_file(conversation, answer(conversation, data, text, spoken), now, spoken)


def _next_or_file(
    conversation: ConversationRecord, data: dict[str, Any] | FlowStep, now: datetime, spoken: bool
) -> FlowStep | Filed:
    if isinstance(data, FlowStep):
        return data
    if "contact" not in data:
        return _next(conversation, data, spoken)
    return _file(conversation, data, now, spoken)


def _service(
    conversation: ConversationRecord, data: dict[str, Any], text: str, spoken: bool
) -> dict[str, Any] | FlowStep:
    if text.startswith(SERVICE):
        picked = text.removeprefix(SERVICE)
        if picked not in {*_ids(reports.services()), reports.OTHER}:  # not a button of ours
            return _ask_service(conversation.language, spoken, _without_step(data))
        return _without_step(data) | {"service": picked}
    found = reports.recognise(text, reports.services())
    own = {} if found else {"service_text": text.strip()[: reports.MAX_SERVICE_TEXT]}
    return _without_step(data) | {"service": found or reports.OTHER} | own


def _category(
    conversation: ConversationRecord, data: dict[str, Any], text: str, spoken: bool
) -> dict[str, Any] | FlowStep:
    if text.startswith(CATEGORY):
        picked = text.removeprefix(CATEGORY)
        if picked not in _ids(reports.categories()):  # not a button of ours
            return _ask_category(conversation.language, spoken, _without_step(data))
        return _without_step(data) | {"category": picked}
    found = reports.recognise(text, reports.categories())
    if found is not None:
        return _without_step(data) | {"category": found}
    # Not one of the list: their words say what went wrong, and are not asked again.
    return _without_step(data) | {"category": reports.OTHER, "description": _own_words(text)}


def _description(
    conversation: ConversationRecord, data: dict[str, Any], text: str, spoken: bool
) -> dict[str, Any]:
    skipped = text == SKIP or (len(text.split()) <= 2 and _said(text, "skip"))
    return _without_step(data) | {"description": None if skipped else _own_words(text)}


def _contact(
    conversation: ConversationRecord, data: dict[str, Any], text: str, spoken: bool
) -> dict[str, Any] | FlowStep:
    lang, data = conversation.language, _without_step(data)
    contact = _contact_choice(text, spoken)
    if contact is None:
        tries = int(data.get("tries", 0)) + 1
        if tries < MAX_CONTACT_TRIES:
            return _ask_contact(lang, spoken, data | {"tries": tries})
        contact = "none"
    data.pop("tries", None)
    if contact != "phone":
        return data | {"contact": contact}
    own = normalise_number(conversation.contact or "")
    if own is not None:
        return _NUMBER.confirm(lang, spoken, own, data)
    return _NUMBER.ask(lang, spoken, data)


def _contact_choice(text: str, spoken: bool) -> str | None:
    """ "none", "channel" or "phone" from a button or words; None when not understood."""
    if text.startswith(CONTACT) and text.removeprefix(CONTACT) in reports.CONTACTS:
        return text.removeprefix(CONTACT)
    if _said(text, "phone"):
        return "phone"
    answer = chosen(text, ANSWER_WORDS)
    if answer == NO:
        return "none"
    if answer == YES:
        return "phone" if spoken else "channel"
    return None


def _confirmed_number(
    conversation: ConversationRecord, data: dict[str, Any], text: str, spoken: bool
) -> dict[str, Any] | FlowStep:
    answer = chosen(text, ANSWER_WORDS)
    kept = _without_number(data)
    if answer == YES:
        return kept | {"contact": "phone", "contact_number": data["proposed"]}
    if answer == OTHER:
        return _NUMBER.ask(conversation.language, spoken, kept)
    return kept | {"contact": "none"}


def _typed_number(
    conversation: ConversationRecord, data: dict[str, Any], text: str, spoken: bool
) -> dict[str, Any] | FlowStep:
    number = normalise_number(text)
    if number is not None:
        return _without_number(data) | {"contact": "phone", "contact_number": number}
    again = _NUMBER.retry(conversation.language, spoken, data)
    # After the last try the report is filed all the same, without a number to call.
    return again or _without_number(data) | {"contact": "none"}


def _next(conversation: ConversationRecord, data: dict[str, Any], spoken: bool) -> FlowStep:
    """The first question still unanswered (a repeat: the current one again); `data` holds
    the service and category at least once the description is asked."""
    lang = conversation.language
    if "service" not in data:
        return _ask_service(lang, spoken, data)
    if "category" not in data:
        return _ask_category(lang, spoken, data)
    if "description" not in data and not (spoken and KEYS_ONLY.get()):
        skip = [_button(reports.text("button_skip", lang), SKIP)]
        question = _text("ask_description", lang, spoken)
        return FlowStep([NewReply(question, skip)], data | {"step": "description"})
    # A caller who can only use the keys cannot tell in their own words: not asked.
    return _ask_contact(lang, spoken, {"description": None} | data)


def _ask_service(lang: Language, spoken: bool, data: dict[str, Any]) -> FlowStep:
    choices = reports.services()[:SERVICE_KEYS] if spoken else reports.services()
    buttons = [_button(c.said(lang), f"{SERVICE}{c.id}") for c in choices]
    if spoken:  # "for another one, press 6"
        other = reports.text("button_other_service", lang)
        buttons.append(_button(other, f"{SERVICE}{reports.OTHER}"))
    question = _text("ask_service", lang, spoken, keys=_keys(lang, choices))
    return FlowStep([NewReply(question, buttons)], data | {"step": "service"})


def _ask_category(lang: Language, spoken: bool, data: dict[str, Any]) -> FlowStep:
    choices = reports.categories()[:CATEGORY_KEYS] if spoken else reports.categories()
    service = (
        data.get("service_text")
        if data["service"] == reports.OTHER
        else reports.label(reports.services(), data["service"], lang)
    )
    question = _text("ask_category", lang, spoken, service=service or "", keys=_keys(lang, choices))
    buttons = [_button(c.said(lang), f"{CATEGORY}{c.id}") for c in choices]
    return FlowStep([NewReply(question, buttons)], data | {"step": "category"})


def _ask_contact(lang: Language, spoken: bool, data: dict[str, Any]) -> FlowStep:
    ways = ("none", "phone") if spoken else reports.CONTACTS
    buttons = [
        _button(reports.text(f"button_contact_{way}", lang), f"{CONTACT}{way}") for way in ways
    ]
    question = reports.text("ask_contact", lang, spoken)
    return FlowStep([NewReply(question, buttons)], data | {"step": "contact"})


def _file(
    conversation: ConversationRecord, data: dict[str, Any], now: datetime, spoken: bool
) -> Filed:
    """The report, and the reference that confirms it."""
    reference = reports.new_reference()
    report = ProblemReport(
        reference=reference,
        conversation_id=conversation.id,
        channel=conversation.channel,
        language=conversation.language,
        service=data["service"],
        service_text=data.get("service_text"),
        category=data["category"],
        description=data.get("description"),
        contact=data["contact"],
        contact_number=data.get("contact_number"),
        created_at=now,
        updated_at=now,
    )
    filed = {"step": _FILED, "reference": reference, "contact": data["contact"]}
    return Filed(FlowStep(_confirmation(conversation.language, filed, spoken), filed), report)


def _confirmation(lang: Language, filed: dict[str, Any], spoken: bool) -> list[NewReply]:
    reference = filed["reference"]
    said = reports.spelled(reference, lang) if spoken else reference
    text = reports.text("filed", lang, spoken, reference=said)
    if filed["contact"] != "none":
        text = f"{text} {reports.text('filed_contact', lang)}"
    return [NewReply(text)]


def _filed_again(
    conversation: ConversationRecord, data: dict[str, Any], text: str, spoken: bool
) -> FlowStep:
    """After the reference: "repeat" says it again; anything else goes to the brain."""
    if text == REPEAT or _said(text, "repeat"):
        return FlowStep(_confirmation(conversation.language, data, spoken), data)
    return FlowStep([], None, passed=True)


def _text(name: str, lang: Language, spoken: bool, **fields: object) -> str:
    """A text of the dialogue; on a call that can only use the keys, its `_keys` form."""
    return reports.text(name, lang, spoken, keys_only=spoken and KEYS_ONLY.get(), **fields)


def _keys(lang: Language, choices: tuple[reports.Choice, ...]) -> str:
    """ "1 pour MyMinfin, 2 pour IRISbox...": the keys of a spoken menu."""
    return ", ".join(
        reports.text("key", lang, key=n, label=c.said(lang)) for n, c in enumerate(choices, 1)
    )


def _ids(choices: tuple[reports.Choice, ...]) -> set[str]:
    return {choice.id for choice in choices}


def _button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


def _own_words(text: str) -> str | None:
    return text.strip()[: reports.MAX_DESCRIPTION] or None


def _said(text: str, meaning: str) -> bool:
    return chosen(text, {meaning: _WORDS[meaning]}) == meaning


def _without_step(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "step"}


def _without_number(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("step", "proposed", "tries")}
