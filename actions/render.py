"""Turn catalogue content into the bot's replies, in one language, written or spoken.

Pure Python: every function takes the catalogue, the language ("fr", "nl", "en") and
`spoken` (True on the phone: the spoken form of every phrase is used, titles stay)
and returns a `Reply` or plain data. Buttons are kept in spoken mode too: the phone
layer reads the options out itself, so the text never lists them.

Button payloads are Rasa intents ("/step_next", "/proc_lost_eid", ...), so pressing a
button, typing the words or pressing a phone key all end in the same dialogue turn.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .catalogue import LANGUAGES, Catalogue, Procedure

NEXT = "/step_next"
PREVIOUS = "/step_previous"
REPEAT = "/step_repeat"
ALL_STEPS = "/step_all"
RESTART = "/step_restart"
MENU = "/ask_capabilities"
HUMAN = "/request_human"
YES = "/affirm"
NO = "/deny"

LANGUAGE_NAMES: dict[str, str] = {"fr": "Français", "nl": "Nederlands", "en": "English"}
"""Each language named in itself, so a person finds theirs whatever language is in use."""


@dataclass(frozen=True)
class Button:
    """One option: a title to show or read, and the intent payload it sends."""

    title: str
    payload: str

    def as_dict(self) -> dict[str, str]:
        """Return the button as Rasa and the hub expect it."""
        return {"title": self.title, "payload": self.payload}


@dataclass(frozen=True)
class Reply:
    """One bot message: text, then optional buttons."""

    text: str
    buttons: list[Button] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the reply as a Rasa REST channel element."""
        return {"text": self.text, "buttons": [button.as_dict() for button in self.buttons]}


@dataclass(frozen=True)
class _Voice:
    """Catalogue messages in one language and mode, to keep the renderers short."""

    cat: Catalogue
    lang: str
    spoken: bool

    def say(self, name: str, **values: object) -> str:
        """Return message `name` with its placeholders filled."""
        return self.cat.messages.text(name, self.lang, self.spoken, **values)

    def button(self, name: str, payload: str) -> Button:
        """Return a button titled with message `button_<name>` (always the written form)."""
        return Button(self.cat.messages.text(f"button_{name}", self.lang), payload)

    def join(self, parts: Iterable[str]) -> str:
        """Join non-empty paragraphs: a blank line when written, a line break when spoken."""
        return ("\n" if self.spoken else "\n\n").join(part for part in parts if part)


# ---------------------------------------------------------------- step arithmetic


def clamp_step(proc: Procedure, index: float | int | None) -> int:
    """Return `index` as a valid 0-based step index of `proc` (slots hold floats or None)."""
    if index is None:
        return 0
    return max(0, min(int(index), len(proc.steps) - 1))


def is_last_step(proc: Procedure, index: float | int | None) -> bool:
    """Whether `index` is the last step of `proc` (then the feedback question is asked)."""
    return clamp_step(proc, index) == len(proc.steps) - 1


# ---------------------------------------------------------------- menu


def menu_buttons(cat: Catalogue, lang: str) -> list[Button]:
    """One button per procedure (catalogue order), then "Talk to a person"."""
    voice = _Voice(cat, lang, spoken=False)
    topics = [Button(p.title.in_(lang), f"/{p.intent}") for p in cat.procedures.values()]
    return [*topics, voice.button("human", HUMAN)]


def welcome(cat: Catalogue, lang: str, spoken: bool, greeting: bool) -> Reply:
    """What Loket can do, the menu prompt and the menu; `greeting` adds "Hello, I am Loket"."""
    voice = _Voice(cat, lang, spoken)
    hello = " ".join(filter(None, [voice.say("greeting") if greeting else "", voice.say("intro")]))
    return Reply(voice.join([hello, voice.say("menu_prompt")]), menu_buttons(cat, lang))


def menu(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """The menu prompt and the menu, without the introduction."""
    return Reply(_Voice(cat, lang, spoken).say("menu_prompt"), menu_buttons(cat, lang))


# ---------------------------------------------------------------- a procedure


def procedure_intro(cat: Catalogue, proc: Procedure, lang: str, spoken: bool) -> Reply:
    """Title, what the procedure is, who it is for and how many steps follow."""
    voice = _Voice(cat, lang, spoken)
    total = len(proc.steps)
    if total > 1:
        count = voice.say("procedure_start", total=total)
    else:
        count = voice.say("procedure_one_step")
    about = f"{proc.summary.in_(lang)} {proc.who.in_(lang)}"
    return Reply(voice.join([proc.title.in_(lang), about, count]))


def step(
    cat: Catalogue, proc: Procedure, index: float | int | None, lang: str, spoken: bool
) -> Reply:
    """One step with its label ("Step 2 of 5:") and the navigation buttons.

    The last step also carries the end of the procedure (optional sections, then
    "Did this help?") and Yes / No instead of Next.
    """
    voice = _Voice(cat, lang, spoken)
    index = clamp_step(proc, index)
    total = len(proc.steps)
    label = voice.say("step_label", n=index + 1, total=total)
    text = f"{label}\n{proc.steps[index].render(lang, spoken)}"
    previous = [voice.button("previous", PREVIOUS)] if index > 0 else []
    navigation = [
        *previous,
        voice.button("repeat", REPEAT),
        voice.button("all_steps", ALL_STEPS),
        voice.button("menu", MENU),
    ]
    if index < total - 1:
        return Reply(text, [voice.button("next", NEXT), *navigation])
    end = _end_part(voice, proc, last_step=True)
    return Reply(voice.join([text, *end]), [*_yes_no(voice), *navigation])


def all_steps(cat: Catalogue, proc: Procedure, lang: str, spoken: bool) -> Reply:
    """Every step as a numbered list, then the end of the procedure and "Did this help?"."""
    voice = _Voice(cat, lang, spoken)
    total = len(proc.steps)
    lines = [voice.say("all_steps_intro", title=proc.title.in_(lang))]
    for number, phrase in enumerate(proc.steps, start=1):
        # Spoken, "Step 2 of 5." reads better than a bare "2.".
        prefix = voice.say("step_label", n=number, total=total) if spoken else f"{number}."
        lines.append(f"{prefix} {phrase.render(lang, spoken)}")
    text = voice.join(["\n".join(lines), *_end_part(voice, proc, last_step=False)])
    buttons = [*_yes_no(voice), voice.button("restart", RESTART), voice.button("menu", MENU)]
    return Reply(text, buttons)


def _end_part(voice: _Voice, proc: Procedure, last_step: bool) -> list[str]:
    """Paragraphs closing a procedure: the sections it has, then the feedback question."""
    closing = [voice.say("end_of_procedure")] if last_step else []
    sections = [
        f"{voice.say(f'section_{name}')}\n{phrase.render(voice.lang, voice.spoken)}"
        for name, phrase in proc.sections()
    ]
    return [*closing, *sections, voice.say("did_it_help")]


def _yes_no(voice: _Voice) -> list[Button]:
    """Yes / No buttons for a yes/no question."""
    return [voice.button("yes", YES), voice.button("no", NO)]


def first_step_notice(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Said when the person asks for the previous step while on the first one."""
    return Reply(_Voice(cat, lang, spoken).say("first_step"))


def no_procedure_active(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Step navigation without a chosen procedure: ask to choose one, with the menu."""
    return Reply(_Voice(cat, lang, spoken).say("no_procedure_active"), menu_buttons(cat, lang))


# ---------------------------------------------------------------- feedback and failures


def feedback_answer(cat: Catalogue, lang: str, spoken: bool, helped: bool) -> Reply:
    """Answer to "Did this help?": the menu if it did, else the offer of a person or the menu."""
    voice = _Voice(cat, lang, spoken)
    if helped:
        return Reply(voice.say("glad_it_helped"), menu_buttons(cat, lang))
    return Reply(voice.say("sorry_not_helped"), _person_or_menu(voice))


def not_understood(cat: Catalogue, lang: str, spoken: bool, again: bool) -> Reply:
    """Not understood: first ask to rephrase (with the menu), then offer a person."""
    voice = _Voice(cat, lang, spoken)
    if again:
        return Reply(voice.say("not_understood_again"), _person_or_menu(voice))
    return Reply(voice.say("not_understood"), menu_buttons(cat, lang))


def cannot_help(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Out of scope: say so honestly, show the menu and offer a person (last menu button)."""
    return Reply(_Voice(cat, lang, spoken).say("cannot_help"), menu_buttons(cat, lang))


def _person_or_menu(voice: _Voice) -> list[Button]:
    """Buttons "Talk to a person" and "Menu", after "Do you want to talk to a person?"."""
    return [voice.button("human", HUMAN), voice.button("menu", MENU)]


# ---------------------------------------------------------------- language, person, closing


def language_payload(lang: str) -> str:
    """Payload that switches to `lang`: /switch_language{"language":"nl"}."""
    return "/switch_language" + json.dumps({"language": lang}, separators=(",", ":"))


def ask_language(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Ask which language to continue in, with one button per language."""
    buttons = [Button(LANGUAGE_NAMES[code], language_payload(code)) for code in LANGUAGES]
    return Reply(_Voice(cat, lang, spoken).say("ask_language"), buttons)


def language_switched(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Confirm the switch, in the new language `lang`."""
    return Reply(_Voice(cat, lang, spoken).say("language_switched"))


def human_requested(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Honest answer to "I want a person": noted, and where to find help in person."""
    voice = _Voice(cat, lang, spoken)
    return Reply(voice.say("human_requested"), [voice.button("menu", MENU)])


def goodbye(cat: Catalogue, lang: str, spoken: bool, thanks: bool) -> Reply:
    """Answer to thanks (with the menu button) or to goodbye."""
    voice = _Voice(cat, lang, spoken)
    if thanks:
        return Reply(voice.say("thanks_reply"), [voice.button("menu", MENU)])
    return Reply(voice.say("goodbye"))
