"""Turn catalogue content into the bot's replies, in one language, written or spoken.

Pure Python: every function takes the catalogue, the language ("fr", "nl", "en") and
`spoken` (True on the phone: the spoken form of every phrase is used, titles stay)
and returns a `Reply` or plain data.

Button payloads are Rasa intents ("/step_next", "/proc_lost_eid", ...), so pressing a
button, typing the words or pressing a phone key all end in the same dialogue turn:
the hub maps a typed "2" (SMS, phone keypad) to the second button of the last message.
Buttons are kept in spoken mode too, but the phone layer reads only the text, so a
menu (topics, categories, clarifying questions) also reads its options out with
their keys when spoken: "For identity and address, press 1." Steps keep their
buttons unread: on the phone, "next" or "repeat" is said. The last step, spoken, reads
none of the procedure's sections but offers them a key each ("To hear what to bring,
press 3."): `section` reads the one asked for alone, and offers the others again.

On the phone a menu reads at most `PAGE_SIZE` topics at a time, in the catalogue's
order (most asked first), then "For more topics, press 5.": a page is a reply whose
buttons are its topics, "more" and the fixed options, so a key still means the n-th
button of the last message. `keys_only` (a language without a speech model on the
phone) swaps the sentences that invite speech for their keypad forms (`<name>_keys`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import resolve
from .catalogue import (
    LANGUAGES,
    Case,
    Catalogue,
    Category,
    Clarification,
    Commune,
    Phrase,
    Procedure,
    RelatedRight,
    Term,
)
from .resolve import Place

NEXT = "/step_next"
PREVIOUS = "/step_previous"
REPEAT = "/step_repeat"
ALL_STEPS = "/step_all"
RESTART = "/step_restart"
MENU = "/show_menu"
HUMAN = "/request_human"
YES = "/affirm"
NO = "/deny"
ASK_SECTION = "ask_section"
"""The intent that reads one optional section of the current procedure alone (a phone key)."""

PHONE_OPTION_KEYS = 6
"""The highest key that picks an option of a spoken reply: 7, 8 and 9 mean the same on
every phone menu (docs/voice.md), so a 7th button could never be picked."""

COMMUNE_CONTACT = "commune-contact"
"""The procedure offered once the person's commune is known: how to reach it."""

SMS = "/send_steps_by_sms"
SHORT_LINK = 60
"""The longest source address an SMS of steps carries: a longer one would take a third of it."""
_SENTENCE = re.compile(r"\S.*?(?:[.!?](?=\s|$)|$)", re.DOTALL)

PAGE_SIZE = 4
"""Topics read at a time on the phone: more is hard to keep in mind when only heard."""

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
    keys_only: bool = False

    def say(self, name: str, **values: object) -> str:
        """Return message `name` with its placeholders filled."""
        return self.cat.messages.text(name, self.lang, self.spoken, **values)

    def invite(self, name: str) -> str:
        """Message `name`, which invites speech; `<name>_keys` when only keys are heard."""
        return self.say(f"{name}_keys" if self.spoken and self.keys_only else name)

    def button(self, name: str, payload: str) -> Button:
        """Return a button titled with message `button_<name>` (always the written form)."""
        return Button(self.cat.messages.text(f"button_{name}", self.lang), payload)

    def keys(self, name: str) -> str:
        """Message `keys_<name>` on the phone (which keys answer); nothing when written."""
        return self.say(f"keys_{name}") if self.spoken else ""

    def join(self, parts: Iterable[str]) -> str:
        """Join non-empty paragraphs: a blank line when written, a line break when spoken."""
        return ("\n" if self.spoken else "\n\n").join(part for part in parts if part)

    def topic(self, title: str, payload: str) -> _Option:
        """An option titled with a topic, read "For <title>, press <n>." on the phone."""
        return _Option(Button(title, payload), "press_for")

    def fixed(self, name: str, payload: str) -> _Option:
        """An option titled with message `button_<name>`, read with message `press_<name>`."""
        return _Option(self.button(name, payload), f"press_{name}")

    def offer(
        self,
        text: str,
        topics: Sequence[_Option],
        fixed: Sequence[_Option] = (),
        more: Callable[[int], str] | None = None,
        page: int = 1,
    ) -> Reply:
        """A reply offering `topics`, then the `fixed` options ("Menu"), as buttons.

        Spoken, the text also reads them out with their keys, in button order (the hub
        maps key n to the n-th button). With `more` (the payload of a page) a spoken
        menu reads only page `page` of the topics, then "more" when others follow.
        """
        if self.spoken and more is not None:
            topics = self.page_of(topics, lambda later: self.fixed("more", more(later)), page)
        options = [*topics, *fixed]
        if self.spoken:
            text = self.join([text, "\n".join(self.read_keys(options))])
        return Reply(text, [option.button for option in options])

    def read_keys(self, options: Sequence[_Option], first: int = 1) -> list[str]:
        """On the phone, one sentence per option with its key, the first being key `first`
        ("For identity and address, press 1."); nothing when written."""
        if not self.spoken:
            return []
        return [
            self.say(option.message, option=option.button.title, n=number)
            for number, option in enumerate(options, start=first)
        ]

    def page_of(
        self,
        topics: Sequence[_Option],
        more: Callable[[int], _Option],
        page: int,
        size: int = PAGE_SIZE,
    ) -> list[_Option]:
        """The `size` topics of page `page` (the last one past the end), then `more(page + 1)`,
        the option that opens the next page, if others follow."""
        pages = max(1, -(-len(topics) // size))
        page = max(1, min(page, pages))
        shown = list(topics[(page - 1) * size : page * size])
        if page < pages:
            shown.append(more(page + 1))
        return shown


@dataclass(frozen=True)
class _Option:
    """One option of a menu: its button, and the message that reads it on the phone."""

    button: Button
    message: str


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


def payload(intent: str, **entities: str | int) -> str:
    """A button payload: the intent, with its entities as Rasa reads them (JSON)."""
    return f"/{intent}" + (json.dumps(entities, separators=(",", ":")) if entities else "")


def category_payload(category_id: str, page: int = 1) -> str:
    """Payload that opens a category of the menu: /show_category{"category":"identity"};
    a later page of it on the phone: /show_category{"category":"income","page":2}."""
    pages = {"page": page} if page > 1 else {}
    return payload("show_category", category=category_id, **pages)


def menu_payload(page: int = 1) -> str:
    """Payload of the menu (/show_menu), or of one of its later pages on the phone."""
    return payload("show_menu", page=page) if page > 1 else MENU


def _procedure_option(voice: _Voice, proc: Procedure, label: str | None = None) -> _Option:
    """A procedure as an option, titled with `label` or the procedure's title."""
    return voice.topic(label or proc.title.in_(voice.lang), f"/{proc.intent}")


def _menu_topics(voice: _Voice) -> list[_Option]:
    """The menu's topics: one per category, in the order of content/menu.yml.

    A single category is shown as its procedures (no one chooses among one), and a
    catalogue without a menu shows every procedure.
    """
    cat = voice.cat
    if len(cat.menu) > 1:
        return [
            voice.topic(category.title.in_(voice.lang), category_payload(category.id))
            for category in cat.menu
        ]
    ids = cat.menu[0].procedures if cat.menu else tuple(cat.procedures)
    return [_procedure_option(voice, cat.procedures[pid]) for pid in ids]


def _offer_menu(voice: _Voice, text: str, page: int = 1) -> Reply:
    """`text`, then the menu's topics (a page of them on the phone) and "Talk to a person"."""
    return voice.offer(text, _menu_topics(voice), [voice.fixed("human", HUMAN)], menu_payload, page)


def menu_buttons(cat: Catalogue, lang: str) -> list[Button]:
    """The menu's buttons: one per category (see `_menu_topics`), then "Talk to a person"."""
    return _offer_menu(_Voice(cat, lang, spoken=False), "").buttons


def welcome(
    cat: Catalogue, lang: str, spoken: bool, greeting: bool, keys_only: bool = False
) -> Reply:
    """What Loket can do, the menu prompt and the menu; `greeting` adds "Hello, I am Loket".

    A greeting on the phone is short: "Hello, this is Loket." and an open question, with
    key 1 for the topics (the menu is the reply's first button): the caller can act
    within seconds, by saying what they need or with the keys.
    """
    voice = _Voice(cat, lang, spoken, keys_only)
    if spoken and greeting:
        text = " ".join([voice.say("phone_greeting"), voice.invite("open_question")])
        return Reply(text, [voice.button("menu", MENU)])
    hello = " ".join(filter(None, [voice.say("greeting") if greeting else "", voice.say("intro")]))
    return _offer_menu(voice, voice.join([hello, voice.invite("menu_prompt")]))


def menu(cat: Catalogue, lang: str, spoken: bool, page: int = 1, keys_only: bool = False) -> Reply:
    """The menu prompt and the menu (page `page` of it on the phone), without the introduction."""
    voice = _Voice(cat, lang, spoken, keys_only)
    return _offer_menu(voice, voice.invite("menu_prompt"), page)


def category_menu(
    cat: Catalogue, category: Category, lang: str, spoken: bool, page: int = 1
) -> Reply:
    """One category: its title, then its procedures (a page of them on the phone) and "Menu"."""
    voice = _Voice(cat, lang, spoken)
    text = voice.say("category_prompt", category=category.title.in_(lang))
    topics = [_procedure_option(voice, cat.procedures[pid]) for pid in category.procedures]
    return voice.offer(
        text,
        topics,
        [voice.fixed("menu", MENU)],
        lambda later: category_payload(category.id, later),
        page,
    )


# ---------------------------------------------------------------- clarifying questions


def clarification(
    cat: Catalogue, question: Clarification, lang: str, spoken: bool, page: int = 1
) -> Reply:
    """A clarifying question (content/clarifications.yml), its options and "Menu"."""
    voice = _Voice(cat, lang, spoken)
    options = [
        _procedure_option(
            voice, cat.procedures[option.procedure], option.label and option.label.in_(lang)
        )
        for option in question.options
    ]
    text = question.question.render(lang, spoken)
    return voice.offer(
        text,
        options,
        [voice.fixed("menu", MENU)],
        lambda later: payload(question.id, page=later),
        page,
    )


def did_you_mean(cat: Catalogue, procedures: Sequence[Procedure], lang: str, spoken: bool) -> Reply:
    """Several procedures fit the request about as well (at most three): offer them, and "Menu"."""
    voice = _Voice(cat, lang, spoken)
    options = [_procedure_option(voice, proc) for proc in procedures]
    return voice.offer(voice.say("did_you_mean"), options, [voice.fixed("menu", MENU)])


# ---------------------------------------------------------------- the person's commune


def commune_answer(cat: Catalogue, place: Place, lang: str, spoken: bool) -> Reply:
    """Answer "I live in ...": the commune and what its population service does, with
    "Contact my commune"; or honestly that the place is not in Brussels; or ask which."""
    voice = _Voice(cat, lang, spoken)
    back = voice.fixed("menu", MENU)
    if place.kind == resolve.OUTSIDE:
        return voice.offer(voice.say("commune_unknown_postcode", postcode=place.postcode), [back])
    if place.kind == resolve.UNKNOWN:
        return voice.offer(voice.say("commune_unknown_name"), [back])
    if place.kind != resolve.FOUND or place.commune is None:
        return voice.offer(voice.say("ask_commune"), [back])
    name = place.commune.name.in_(lang)
    if place.postcode:
        found = voice.say("commune_found_postcode", postcode=place.postcode, commune=name)
    else:
        found = voice.say("commune_found_name", commune=name)
    # The notes of communes.yml are about postcodes ("the street decides" for 1040 and
    # 1050): said after a postcode, not after a name the person knows as theirs.
    note = place.commune.note.in_(lang) if place.commune.note and place.postcode else ""
    text = voice.join([" ".join(filter(None, [found, note])), voice.say("commune_services")])
    contact = cat.procedures.get(COMMUNE_CONTACT)
    options = [voice.fixed("contact_commune", f"/{contact.intent}")] if contact else []
    return voice.offer(text, [*options, back])


def commune_contact(cat: Catalogue, commune: Commune | None, lang: str, spoken: bool) -> Reply:
    """How to reach the person's commune (communes.yml `contact`): its phone number, its
    address and where its opening hours are, each only when an official page gave it,
    else honestly that it is missing; written, the source. No commune: ask which."""
    voice = _Voice(cat, lang, spoken)
    if commune is None:
        return Reply(voice.say("commune_contact_ask"))
    name = commune.name.in_(lang)
    contact = commune.contact
    phone = contact.phone if contact else None
    address = contact.address if contact else None
    website = contact.website if contact else None
    lines = [
        voice.say("commune_contact_intro", commune=name),
        voice.say("commune_contact_phone", phone=phone)
        if phone
        else voice.say("commune_contact_no_phone", commune=name),
        voice.say("commune_contact_address", address=address.in_(lang))
        if address
        else voice.say("commune_contact_no_address", commune=name),
    ]
    if website is None:
        lines.append(voice.say("commune_contact_no_website"))
    else:  # a web address is never read aloud
        hours = "commune_contact_hours_spoken" if spoken else "commune_contact_hours"
        lines.append(voice.say(hours, website=website))
    if contact is not None and not spoken:
        date = contact.checked_on.isoformat()
        lines.append(voice.say("commune_contact_checked", source=contact.sources[0], date=date))
    return Reply("\n".join(lines))


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
    cat: Catalogue,
    proc: Procedure,
    index: float | int | None,
    lang: str,
    spoken: bool,
    keys_only: bool = False,
    rights: Sequence[RelatedRight] = (),
) -> Reply:
    """One step with its label ("Step 2 of 5:") and the navigation buttons.

    The last step also carries the end of the procedure (optional sections, the related
    `rights` to offer, then "Did this help?") and Yes / No instead of Next.
    """
    voice = _Voice(cat, lang, spoken, keys_only)
    index = clamp_step(proc, index)
    label = voice.say("step_label", n=index + 1, total=len(proc.steps))
    text = f"{label}\n{proc.steps[index].render(lang, spoken)}"
    if not is_last_step(proc, index):
        return Reply(
            voice.join([text, voice.invite("keys_next_step") if spoken else ""]),
            _step_buttons(voice, proc, index),
        )
    rights_offered = _right_options(voice, rights)
    lead = len(_yes_no(voice))
    sections = _section_options(voice, proc, (), lead, others=len(rights_offered))
    end = _end_part(voice, proc, last_step=True, rights=rights, sections=sections)
    buttons = _step_buttons(voice, proc, index, [*rights_offered, *sections])
    return Reply(voice.join([text, *end]), buttons)


def _lead_buttons(voice: _Voice, proc: Procedure, index: int) -> list[Button]:
    """What answers step `index`: Next, or Yes / No ("Did this help?") on the last step."""
    return _yes_no(voice) if is_last_step(proc, index) else [voice.button("next", NEXT)]


def _step_buttons(
    voice: _Voice, proc: Procedure, index: int, extra: Sequence[_Option] = ()
) -> list[Button]:
    """The buttons of step `index`: its lead buttons, the `extra` options, then navigation.

    The extra options come right after the lead, so their phone keys stay low (2 or 3
    on): the keys 7 to 9 mean the same on every menu of the phone line.
    """
    previous = [voice.button("previous", PREVIOUS)] if index > 0 else []
    navigation = [
        *previous,
        voice.button("repeat", REPEAT),
        voice.button("all_steps", ALL_STEPS),
        voice.button("menu", MENU),
    ]
    lead = _lead_buttons(voice, proc, index)
    buttons = [*lead, *(option.button for option in extra), *navigation]
    # On the phone a key picks the n-th button: the ones no key can reach are left out.
    return buttons[:PHONE_OPTION_KEYS] if voice.spoken else buttons


def _back_to_step(
    voice: _Voice,
    before: str,
    proc: Procedure,
    index: float | int | None,
    extra: Sequence[_Option] = (),
) -> Reply:
    """`before` (said in the middle of a procedure), then where the person was and how
    to go on ("next", or "Did this help?" on the last step), with that step's buttons
    and the `extra` options (read with their keys on the phone)."""
    index = clamp_step(proc, index)
    title = proc.title.in_(voice.lang)
    if is_last_step(proc, index):
        where = [voice.say("resume_last_step", title=title), voice.say("did_it_help")]
        keys = [voice.keys("yes_no")]
    else:
        where = [voice.say("resume_step", n=index + 1, total=len(proc.steps), title=title)]
        keys = [voice.invite("keys_next_step") if voice.spoken else ""]
    keys += voice.read_keys(extra, first=len(_lead_buttons(voice, proc, index)) + 1)
    text = voice.join([before, " ".join(where), " ".join(filter(None, keys))])
    return Reply(text, _step_buttons(voice, proc, index, extra))


def all_steps(
    cat: Catalogue,
    proc: Procedure,
    lang: str,
    spoken: bool,
    rights: Sequence[RelatedRight] = (),
) -> Reply:
    """Every step as a numbered list, then the end of the procedure (with the related
    `rights` to offer) and "Did this help?"."""
    voice = _Voice(cat, lang, spoken)
    total = len(proc.steps)
    lines = [voice.say("all_steps_intro", title=proc.title.in_(lang))]
    for number, phrase in enumerate(proc.steps, start=1):
        # Spoken, "Step 2 of 5." reads better than a bare "2.".
        prefix = voice.say("step_label", n=number, total=total) if spoken else f"{number}."
        lines.append(f"{prefix} {phrase.render(lang, spoken)}")
    end = _end_part(voice, proc, last_step=False, rights=rights)
    text = voice.join(["\n".join(lines), *end])
    # Written, the steps can also go by SMS; the phone has a key for it (docs/voice.md).
    sms = [] if spoken else [voice.button("sms_steps", SMS)]
    rest = [voice.button("restart", RESTART), *sms, voice.button("menu", MENU)]
    extra = [option.button for option in _right_options(voice, rights)]
    return Reply(text, [*_yes_no(voice), *extra, *rest])


def sms_steps(cat: Catalogue, proc: Procedure, lang: str) -> dict[str, Any]:
    """The parts of the SMS of a procedure's steps, for the hub to fit into 3 segments.

    Its name, each step's first sentence (written form) numbered, and "More information:"
    with its shortest source if that is short: only words of the content.
    """
    steps = [
        f"{number}. {first_sentence(phrase.render(lang, spoken=False))}"
        for number, phrase in enumerate(proc.steps, start=1)
    ]
    link = min(proc.sources, key=len)
    more = _Voice(cat, lang, spoken=False).say("sms_more_info", link=link)
    short = len(link) <= SHORT_LINK
    return {"title": proc.title.in_(lang), "steps": steps, "link": more if short else None}


def first_sentence(text: str) -> str:
    """The first sentence of `text`, with its full stop; a question with its answer ("Did
    you also lose bank cards? Call Card Stop on 078 170 170, day and night.")."""
    kept: list[str] = []
    for sentence in _SENTENCE.findall(text):
        kept.append(sentence)
        if not sentence.endswith("?"):
            break
    return " ".join(kept)


def _end_part(
    voice: _Voice,
    proc: Procedure,
    last_step: bool,
    rights: Sequence[RelatedRight],
    sections: Sequence[_Option] = (),
) -> list[str]:
    """Paragraphs closing a procedure: the sections it has, the related `rights`, then the
    feedback question; on the phone, the keys of Yes / No, of each right and of each of
    the `sections` offered.

    On the phone the last step reads no section: it offers them, a key each
    (`_section_options`), as reading them all took a minute or more in one go.
    """
    closing = [voice.say("end_of_procedure")] if last_step else []
    read = [] if last_step and voice.spoken else proc.sections()
    texts = [_section_text(voice, name, phrase) for name, phrase in read]
    said = [right.why.render(voice.lang, voice.spoken) for right in rights]
    about = ["\n".join([voice.say("section_rights"), *said])] if rights else []
    options = [*_right_options(voice, rights), *sections]
    keys = [voice.keys("yes_no"), *voice.read_keys(options, len(_yes_no(voice)) + 1)]
    return [*closing, *texts, *about, voice.say("did_it_help"), " ".join(filter(None, keys))]


def _section_text(voice: _Voice, name: str, phrase: Phrase) -> str:
    """One optional section of a procedure with its heading ("What to bring:")."""
    return f"{voice.say(f'section_{name}')}\n{phrase.render(voice.lang, voice.spoken)}"


def section_payload(name: str | None = None, page: int = 1) -> str:
    """Payload that reads one section of the current procedure: /ask_section{"section":"cost"};
    without a name, the sections offered on the phone (/ask_section, /ask_section{"page":2})."""
    if name is not None:
        return payload(ASK_SECTION, section=name)
    return payload(ASK_SECTION, page=page) if page > 1 else f"/{ASK_SECTION}"


def _section_options(
    voice: _Voice,
    proc: Procedure,
    heard: Iterable[str],
    lead: int,
    others: int = 0,
    page: int = 1,
) -> list[_Option]:
    """On the phone, the sections of `proc` not `heard` yet, each an option ("To hear what
    to bring, press 3."), after the `lead` buttons (Yes / No) and `others` options (the
    related rights); written, none: there the sections are shown.

    Keys stop at PHONE_OPTION_KEYS. When the sections do not all fit, the last key opens
    the next ones ("For more about this procedure, press 6."): page `page` of them; beside
    other options, only that key, which opens their first page.
    """
    if not voice.spoken:
        return []
    said = set(heard)
    options = [
        voice.fixed(f"section_{name}", section_payload(name))
        for name, _ in proc.sections()
        if name not in said
    ]
    room = PHONE_OPTION_KEYS - lead
    if len(options) <= room - others:
        return options

    def more(later: int) -> _Option:
        return voice.fixed("more_sections", section_payload(page=later))

    if others:
        return [more(1)] if others < room else []
    return voice.page_of(options, more, page, size=room - 1)


WHO = "who"
"""The detail "who it is for", asked like a section: each procedure's `who`."""


def section(
    cat: Catalogue,
    proc: Procedure,
    name: str | None,
    lang: str,
    spoken: bool,
    index: float | int | None,
    heard: Iterable[str] = (),
    page: int = 1,
    keys_only: bool = False,
    started: bool = True,
) -> Reply:
    """The answer to one detail `name` of `proc` (a section, or WHO), then where the person
    was (step `index`) with that step's buttons: the place is kept. A procedure not
    `started` yet offers its steps instead.

    A detail the procedure does not give is answered honestly (`_missing_detail`).
    Without a `name`, "What would you like to know?" with the details as options. On the
    phone, the sections not `heard` yet are offered again, a key each (page `page` of
    them when they do not all fit).
    """
    voice = _Voice(cat, lang, spoken, keys_only)
    text, options = _detail(voice, proc, name)
    return _then_the_place(voice, proc, text, options, index, started, heard, page)


def case(
    cat: Catalogue,
    proc: Procedure,
    other: Case,
    lang: str,
    spoken: bool,
    index: float | int | None,
    keys_only: bool = False,
    started: bool = True,
) -> Reply:
    """A follow-up that names another case of `proc` ("and if it was stolen?"): the steps
    and sections that answer it, then where the person was (step `index`), or the steps
    offered when they have not begun."""
    voice = _Voice(cat, lang, spoken, keys_only)
    total = len(proc.steps)
    steps = [
        f"{voice.say('step_label', n=n + 1, total=total)}\n{proc.steps[n].render(lang, spoken)}"
        for n in other.steps
    ]
    text = voice.join([*steps, *(_known_detail(voice, proc, name) for name in other.sections)])
    return _then_the_place(voice, proc, text, [], index, started)


def _then_the_place(
    voice: _Voice,
    proc: Procedure,
    text: str,
    options: Sequence[_Option],
    index: float | int | None,
    started: bool,
    heard: Iterable[str] = (),
    page: int = 1,
) -> Reply:
    """`text`, then where the person was in `proc` with its buttons and `options`: on the
    phone, without options, the sections not `heard` yet. Not `started`: the steps offered."""
    if not started:
        return _offer_steps(voice, proc, text, options)
    if not options:
        lead = len(_lead_buttons(voice, proc, clamp_step(proc, index)))
        options = _section_options(voice, proc, heard, lead, page=page)
    return _back_to_step(voice, text, proc, index, options)


def _detail(voice: _Voice, proc: Procedure, name: str | None) -> tuple[str, list[_Option]]:
    """The text answering detail `name` of `proc`, and the options that go with it."""
    if not name:  # on the phone, the sections a key each (`_section_options`)
        if voice.spoken:
            return "", []
        return voice.say("section_choose", title=proc.title.in_(voice.lang)), _detail_choices(
            voice, proc
        )
    if name == "related" and proc.related_rights:
        said = [right.why.render(voice.lang, voice.spoken) for right in proc.related_rights]
        rights = "\n".join([voice.say("section_rights"), *said])
        text = voice.join([_known_detail(voice, proc, name), rights])
        return text, _right_options(voice, proc.related_rights)
    known = _known_detail(voice, proc, name)
    return (known, []) if known else _missing_detail(voice, proc, name)


def _known_detail(voice: _Voice, proc: Procedure, name: str) -> str:
    """Detail `name` of `proc` with its heading, or "" when the procedure does not give it."""
    phrase = Phrase(proc.who, proc.who) if name == WHO else dict(proc.sections()).get(name)
    return _section_text(voice, name, phrase) if phrase is not None else ""


def _missing_detail(voice: _Voice, proc: Procedure, name: str) -> tuple[str, list[_Option]]:
    """A detail `proc` does not give: said honestly, with where to ask (its "where"
    section) or the offer of a person; never a guess."""
    missing = voice.say("section_missing", title=proc.title.in_(voice.lang))
    where = _known_detail(voice, proc, "where") if name != "where" else ""
    if where:
        return voice.join([missing, voice.say("section_missing_where"), where]), []
    return voice.join([missing, voice.say("section_missing_ask")]), [voice.fixed("human", HUMAN)]


def _detail_choices(voice: _Voice, proc: Procedure) -> list[_Option]:
    """Written, every detail `proc` gives as a button: who it is for, then its sections."""
    names = [WHO, *(name for name, _ in proc.sections())]
    return [voice.fixed(f"section_{name}", section_payload(name)) for name in names]


def _offer_steps(voice: _Voice, proc: Procedure, before: str, extra: Sequence[_Option]) -> Reply:
    """`before` (a detail of a procedure not started), then the offer of its steps: Yes / No
    first (keys 1 and 2 on the phone), the `extra` options, then Menu."""
    offer = voice.say("steps_offer", title=proc.title.in_(voice.lang))
    options = [*extra, voice.fixed("menu", MENU)]
    keys = [voice.keys("yes_no"), *voice.read_keys(options, first=len(_yes_no(voice)) + 1)]
    text = voice.join([before, offer, " ".join(filter(None, keys))])
    return Reply(text, [*_yes_no(voice), *(option.button for option in options)])


def which_procedure(cat: Catalogue, lang: str, spoken: bool, keys_only: bool = False) -> Reply:
    """A detail asked before any procedure ("how much does it cost?"): which one, and the menu."""
    voice = _Voice(cat, lang, spoken, keys_only)
    return _offer_menu(voice, voice.say("section_which_procedure"))


def which_of_two(
    cat: Catalogue, current: Procedure, other: Procedure, name: str, lang: str, spoken: bool
) -> Reply:
    """A detail `name` of `other` asked in the middle of `current`: which one is meant,
    one option each. The person's place in `current` is kept until they choose."""
    voice = _Voice(cat, lang, spoken)
    text = voice.say(
        "section_which_of_two", current=current.title.in_(lang), other=other.title.in_(lang)
    )
    options = [
        voice.topic(current.title.in_(lang), section_payload(name)),
        voice.topic(other.title.in_(lang), payload(other.intent, section=name)),
    ]
    return voice.offer(text, options)


def unsaid_rights(proc: Procedure, said: Iterable[str] | None) -> tuple[RelatedRight, ...]:
    """The related rights of `proc` not offered yet in this conversation: `said` holds the
    procedure ids of the rights already offered (slot `rights_offered`)."""
    offered = set(said or ())
    return tuple(right for right in proc.related_rights if right.procedure not in offered)


def _right_options(voice: _Voice, rights: Sequence[RelatedRight]) -> list[_Option]:
    """Each right as an option that starts its procedure, titled like a menu topic."""
    return [_procedure_option(voice, voice.cat.procedures[right.procedure]) for right in rights]


def _yes_no(voice: _Voice) -> list[Button]:
    """Yes / No buttons for a yes/no question."""
    return [voice.button("yes", YES), voice.button("no", NO)]


def first_step_notice(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Said when the person asks for the previous step while on the first one."""
    return Reply(_Voice(cat, lang, spoken).say("first_step"))


def no_procedure_active(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Step navigation without a chosen procedure: ask to choose one, with the menu."""
    voice = _Voice(cat, lang, spoken)
    return _offer_menu(voice, voice.say("no_procedure_active"))


# ---------------------------------------------------------------- feedback and failures


def feedback_answer(cat: Catalogue, lang: str, spoken: bool, helped: bool) -> Reply:
    """Answer to "Did this help?": the menu if it did, else the offer of a person or the menu."""
    voice = _Voice(cat, lang, spoken)
    if helped:
        return _offer_menu(voice, voice.say("glad_it_helped"))
    return Reply(voice.say("sorry_not_helped"), _person_or_menu(voice))


def not_understood(
    cat: Catalogue,
    lang: str,
    spoken: bool,
    again: bool,
    keys_only: bool = False,
    proc: Procedure | None = None,
    index: float | int | None = 0,
) -> Reply:
    """Not understood: first ask to rephrase (with the menu), then offer a person.

    In a procedure (`proc`, at step `index`), the first time says where the person was
    and that "next" still works, with the step's buttons: nothing moved.
    """
    voice = _Voice(cat, lang, spoken, keys_only)
    if again:
        return Reply(voice.say("not_understood_again"), _person_or_menu(voice))
    if proc is not None:
        return _back_to_step(voice, voice.say("not_understood_in_step"), proc, index)
    return _offer_menu(voice, voice.invite("not_understood"))


def cannot_help(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Out of scope: say so honestly, show the menu and offer a person (last menu button)."""
    voice = _Voice(cat, lang, spoken)
    return _offer_menu(voice, voice.say("cannot_help"))


def _person_or_menu(voice: _Voice) -> list[Button]:
    """Buttons "Talk to a person" and "Menu", after "Do you want to talk to a person?"."""
    return [voice.button("human", HUMAN), voice.button("menu", MENU)]


# ---------------------------------------------------------------- words people do not know


def explain_term(
    cat: Catalogue,
    term: Term | None,
    lang: str,
    spoken: bool,
    keys_only: bool = False,
    proc: Procedure | None = None,
    index: float | int | None = 0,
) -> Reply:
    """Answer "what is the CPAS?": the glossary's explanation of `term`, or honestly that
    there is none, with the offer of a person. In a procedure (`proc`, at step `index`),
    then where the person was, with the step's buttons: the place is kept."""
    voice = _Voice(cat, lang, spoken, keys_only)
    person = [] if term is not None else [voice.fixed("human", HUMAN)]
    text = term.render(lang, spoken) if term is not None else voice.say("term_unknown")
    if proc is not None:
        return _back_to_step(voice, text, proc, index, person)
    return voice.offer(text, [], [*person, voice.fixed("menu", MENU)])


# ---------------------------------------------------------------- language, person, closing


def language_payload(lang: str) -> str:
    """Payload that switches to `lang`: /switch_language{"language":"nl"}."""
    return payload("switch_language", language=lang)


def ask_language(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Ask which language to continue in, with one button per language."""
    buttons = [Button(LANGUAGE_NAMES[code], language_payload(code)) for code in LANGUAGES]
    return Reply(_Voice(cat, lang, spoken).say("ask_language"), buttons)


def language_switched(cat: Catalogue, lang: str, spoken: bool) -> Reply:
    """Confirm the switch, in the new language `lang`."""
    return Reply(_Voice(cat, lang, spoken).say("language_switched"))


def goodbye(cat: Catalogue, lang: str, spoken: bool, thanks: bool) -> Reply:
    """Answer to thanks (with the menu button) or to goodbye."""
    voice = _Voice(cat, lang, spoken)
    if thanks:
        return Reply(voice.say("thanks_reply"), [voice.button("menu", MENU)])
    return Reply(voice.say("goodbye"))
