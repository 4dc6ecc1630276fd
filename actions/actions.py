"""Loket's rasa-sdk custom actions: thin glue between Rasa, the catalogue and the renderer.

Each action reads the turn (language, spoken, intent, slots), sends replies rendered by
`actions.render`, and returns only the slot events whose value changes, so trackers stay
short (docs/architecture.md: slots are set by actions and never drive the policy).

The catalogue is loaded when this module is imported: a broken catalogue stops the
action server at start with the CatalogueError listing every problem.
"""

from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from . import render, resolve, spoken
from .catalogue import (
    LANGUAGES,
    Catalogue,
    Commune,
    Procedure,
    RelatedRight,
    default_content_dir,
    find_term,
    load_catalogue,
)
from .render import Reply

logger = logging.getLogger(__name__)

CATALOGUE: Catalogue = load_catalogue(default_content_dir())
logger.info(
    "Loket catalogue: %d procedures: %s", len(CATALOGUE.procedures), ", ".join(CATALOGUE.procedures)
)

DEFAULT_LANGUAGE = "fr"
ENTITIES: tuple[str, ...] = ("language", "category", "postcode", "commune", "page", "section")
"""Entities the actions read (first value of the latest message)."""

SlotUpdates = dict[str, Any]
Events = list[dict[str, Any]]

# The NLU maps language names to fr/nl/en with synonyms; these cover a synonym it misses.
_LANGUAGE_WORDS: dict[str, str] = {
    **{code: code for code in LANGUAGES},
    "français": "fr",
    "francais": "fr",
    "french": "fr",
    "frans": "fr",
    "nederlands": "nl",
    "néerlandais": "nl",
    "neerlandais": "nl",
    "dutch": "nl",
    "vlaams": "nl",
    "flamand": "nl",
    "english": "en",
    "anglais": "en",
    "engels": "en",
}


def _language_code(value: Any) -> str | None:
    """Return "fr", "nl" or "en" for a language code or name, else None."""
    return _LANGUAGE_WORDS.get(value.strip().lower()) if isinstance(value, str) else None


def latest_metadata(tracker: Tracker) -> dict[str, Any]:
    """Return the metadata the hub sent with the latest user message.

    Rasa 3.6 stores it in the parse data of the UserUttered event, which the action
    server receives as `tracker.latest_message["metadata"]`; the last "user" event's
    "metadata" holds the same dict and is the fallback.
    """
    metadata = tracker.latest_message.get("metadata")
    if not isinstance(metadata, dict):
        user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
        metadata = user.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


@dataclass(frozen=True)
class Turn:
    """What an action needs to know about the conversation at this turn."""

    lang: str
    spoken: bool
    intent: str | None
    procedure: Procedure | None
    step: int
    started: bool
    """Whether the current procedure's steps have begun: a detail asked first does not."""
    awaiting: str | None
    misunderstood: int
    language_entity: str | None
    slots: dict[str, Any]
    entities: dict[str, str] = field(default_factory=dict)
    said: dict[str, str] = field(default_factory=dict)
    ranking: tuple[dict[str, Any], ...] = ()
    text: str = ""
    keys_only: bool = False
    """On the phone, in a language Loket cannot hear yet: texts say "press 1", never "say"."""

    @property
    def page(self) -> int:
        """The page of a menu asked for on the phone ("For more topics, press 5"); 1 if none."""
        page = self.entities.get("page", "")
        return int(page) if page.isdigit() else 1

    @classmethod
    def of(cls, tracker: Tracker) -> Turn:
        """Read the turn: language from metadata, else the slot, else French."""
        metadata = latest_metadata(tracker)
        lang = (
            _language_code(metadata.get("language"))
            or _language_code(tracker.slots.get("language"))
            or DEFAULT_LANGUAGE
        )
        procedure = CATALOGUE.procedures.get(tracker.slots.get("procedure") or "")
        step = render.clamp_step(procedure, tracker.slots.get("step")) if procedure else 0
        text = tracker.latest_message.get("text")
        text = text if isinstance(text, str) else ""
        entities, said = _entities(tracker.latest_message.get("entities"), text)
        ranking = tracker.latest_message.get("intent_ranking")
        ranking = [e for e in ranking if isinstance(e, dict)] if isinstance(ranking, list) else []
        return cls(
            lang=lang,
            spoken=metadata.get("spoken") is True,
            intent=(tracker.latest_message.get("intent") or {}).get("name"),
            procedure=procedure,
            step=step,
            started=procedure is not None and tracker.slots.get("step") is not None,
            awaiting=tracker.slots.get("awaiting"),
            misunderstood=int(tracker.slots.get("misunderstood") or 0),
            language_entity=entities.get("language"),
            slots=dict(tracker.slots),
            entities=entities,
            said=said,
            ranking=tuple(ranking),
            text=text,
            keys_only=metadata.get("keypad_only") is True,
        )


def _entities(found: Any, text: str) -> tuple[dict[str, str], dict[str, str]]:
    """Return the first value of each entity in ENTITIES, and the words said for it.

    The value may differ from the words when an NLU synonym mapped them ("ixel" ->
    "ixelles"); the words are the entity's span of the text, when it has one. A button
    payload (/inform_commune{"commune":"ixelles"}) has no words: its span is the JSON.
    """
    values: dict[str, str] = {}
    said: dict[str, str] = {}
    for entity in found if isinstance(found, list) else []:
        name = entity.get("entity") if isinstance(entity, dict) else None
        value = entity.get("value") if isinstance(entity, dict) else None
        if name not in ENTITIES or name in values or value is None or not str(value).strip():
            continue
        values[name] = str(value).strip()
        start, end = entity.get("start"), entity.get("end")
        spans = isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
        if spans and not text.startswith("/"):
            said[name] = text[start:end]
    return values, said


@dataclass(frozen=True)
class Output:
    """Sends rendered replies and hub signals through the rasa-sdk dispatcher."""

    dispatcher: CollectingDispatcher

    def send(self, reply: Reply) -> None:
        """Send one reply with its buttons."""
        buttons = [button.as_dict() for button in reply.buttons]
        self.dispatcher.utter_message(text=reply.text, buttons=buttons)

    def signal(self, **loket: object) -> None:
        """Send a signal the hub applies and never shows: {"custom": {"loket": {...}}}."""
        self.dispatcher.utter_message(json_message={"loket": loket})


def _slot_events(turn: Turn, updates: SlotUpdates) -> Events:
    """Return SlotSet events for the slots whose value changes.

    Unless an action says otherwise, `language` keeps the turn's language, `awaiting`
    is cleared and `misunderstood` goes back to 0.
    """
    wanted = {"language": turn.lang, "awaiting": None, "misunderstood": 0.0, **updates}
    events: Events = []
    for name, value in wanted.items():
        current = turn.slots.get(name)
        if name == "misunderstood":
            current = float(current or 0)  # an unset count is a count of 0
        if value != current:
            events.append(SlotSet(name, value))
    return events


class LoketAction(Action, metaclass=ABCMeta):
    """Base of every Loket action: read the turn, act, return the changed slots.

    Abstract so that rasa-sdk, which registers every Action subclass it finds, skips it.
    """

    action_name = ""

    def name(self) -> str:
        """Return the action name used in the domain."""
        return self.action_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        """Run the action (rasa-sdk entry point)."""
        turn = Turn.of(tracker)
        speaking = spoken.for_turn(dispatcher, CATALOGUE, turn.lang, turn.spoken)
        return _slot_events(turn, self.act(turn, Output(speaking)))

    @abstractmethod
    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Send the replies of this action and return the slots to change."""


def _show_step(out: Output, turn: Turn, proc: Procedure, index: int) -> SlotUpdates:
    """Send one step; remember it, and whether "Did this help?" was just asked.

    The last step also offers the procedure's related rights not offered yet.
    """
    index = render.clamp_step(proc, index)
    last = render.is_last_step(proc, index)
    rights = _rights_to_offer(turn, proc) if last else ()
    reply = render.step(CATALOGUE, proc, index, turn.lang, turn.spoken, turn.keys_only, rights)
    out.send(reply)
    out.signal(topic=proc.id, step=str(index))  # agents see where the person is
    return {
        "procedure": proc.id,
        "step": float(index),
        "awaiting": "feedback" if last else None,
        "sections_heard": None,  # the last step offers every section again
        **_rights_offered(turn, rights),
    }


def _rights_to_offer(turn: Turn, proc: Procedure) -> tuple[RelatedRight, ...]:
    """The related rights of `proc` not offered yet in this conversation."""
    return render.unsaid_rights(proc, turn.slots.get("rights_offered"))


def _rights_offered(turn: Turn, rights: tuple[RelatedRight, ...]) -> SlotUpdates:
    """The slot `rights_offered` with `rights` added: each is offered once per conversation."""
    if not rights:
        return {}
    offered = set(turn.slots.get("rights_offered") or ())
    return {"rights_offered": sorted(offered | {right.procedure for right in rights})}


def _place_kept(turn: Turn) -> SlotUpdates:
    """The slots that the defaults of `_slot_events` would reset, as they are: an answer
    in the middle of a procedure leaves a pending question and the count of
    misunderstandings where they were."""
    return {"awaiting": turn.awaiting, "misunderstood": float(turn.misunderstood)}


def _menu(turn: Turn) -> Reply:
    """The menu, on the page the person asked for."""
    return render.menu(CATALOGUE, turn.lang, turn.spoken, turn.page, turn.keys_only)


def _request_human(out: Output, turn: Turn) -> SlotUpdates:
    """Signal the hub that a person is wanted; the hub answers (queue, transfer, callback)."""
    out.signal(handoff="requested")
    return {"awaiting": None}


class ActionWelcome(LoketAction):
    """greet, ask_capabilities: what Loket can do and the menu; show_menu: the menu only."""

    action_name = "action_welcome"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Send the welcome; a greeting only when the person greeted."""
        if turn.intent == "show_menu":  # the "Menu" button: no introduction again
            out.send(_menu(turn))
        else:
            greeting = turn.intent == "greet"
            out.send(render.welcome(CATALOGUE, turn.lang, turn.spoken, greeting, turn.keys_only))
        return {}


class ActionShowCategory(LoketAction):
    """show_category (entity `category`): the procedures of one menu category."""

    action_name = "action_show_category"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Show the category; an unknown or missing one shows the menu."""
        category = CATALOGUE.category(turn.entities.get("category"))
        if category is None:
            out.send(_menu(turn))
        else:
            out.send(render.category_menu(CATALOGUE, category, turn.lang, turn.spoken, turn.page))
        return {}


class ActionClarify(LoketAction):
    """card_blocked, and any intent with a question in content/clarifications.yml."""

    action_name = "action_clarify"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Ask which procedure is meant, with one button per possible procedure."""
        question = CATALOGUE.clarification(turn.intent)
        if question is None:  # an intent routed here without a question: never guess
            out.send(render.cannot_help(CATALOGUE, turn.lang, turn.spoken))
            return {"awaiting": "human"}
        out.send(render.clarification(CATALOGUE, question, turn.lang, turn.spoken, turn.page))
        return {}


class ActionCommune(LoketAction):
    """inform_commune (entities `postcode`, `commune`): "I live in 1030"."""

    action_name = "action_commune"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Name the commune and what it handles; remember it in the slot `commune`."""
        place = resolve.find_commune(
            CATALOGUE.communes,
            postcode=turn.entities.get("postcode"),
            commune=turn.entities.get("commune"),
            text=turn.text,
            said=turn.said.get("commune"),
        )
        out.send(render.commune_answer(CATALOGUE, place, turn.lang, turn.spoken))
        if place.kind == resolve.FOUND and place.commune is not None:
            if turn.procedure is not None and turn.procedure.id == render.COMMUNE_CONTACT:
                # the answer to "which commune?" asked by "contact my commune"
                out.send(render.commune_contact(CATALOGUE, place.commune, turn.lang, turn.spoken))
            return {"commune": place.commune.id}
        if place.kind in (resolve.OUTSIDE, resolve.UNKNOWN):
            return {"commune": None}  # the latest place said wins, even outside Brussels
        return {}


class ActionStartProcedure(LoketAction):
    """proc_*: introduce the procedure of the intent and show its first step.

    A question about one detail of it ("how much does a new identity card cost?", entity
    `section`) gets that detail first, and the steps are offered (`_answer_detail`); in
    the middle of another procedure, it first asks which one is meant.
    """

    action_name = "action_start_procedure"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Start the procedure, or say honestly that there is none for this intent."""
        proc = CATALOGUE.by_intent(turn.intent)
        if proc is None:  # an intent without a procedure file: never invent one
            out.send(render.cannot_help(CATALOGUE, turn.lang, turn.spoken))
            return {"awaiting": "human"}
        detail = turn.entities.get("section") or turn.slots.get("section_asked")
        current = turn.procedure
        if detail and current not in (None, proc) and turn.awaiting != "switch":
            # "and how much is it at the commune?" at step 3 of lost-eid: never switch
            # procedure on a detail question without asking which one is meant
            out.send(render.which_of_two(CATALOGUE, current, proc, detail, turn.lang, turn.spoken))
            return {**_place_kept(turn), "awaiting": "switch"}
        if detail and proc.id != render.COMMUNE_CONTACT:  # its contact answers every detail
            return _answer_detail(out, turn, proc, detail)
        if turn.procedure is proc and (answered := _answer_case(out, turn)) is not None:
            return answered  # "and if it was stolen?" in the middle of lost-eid
        updates: SlotUpdates = {}
        if proc.id == render.COMMUNE_CONTACT:  # the person's own commune first
            commune = _persons_commune(turn)
            out.send(render.commune_contact(CATALOGUE, commune, turn.lang, turn.spoken))
            updates = {"commune": commune.id} if commune else {}
        return {**updates, **_start(out, turn, proc)}


def _start(out: Output, turn: Turn, proc: Procedure) -> SlotUpdates:
    """Introduce `proc` and show its first step."""
    out.send(render.procedure_intro(CATALOGUE, proc, turn.lang, turn.spoken))
    return {"section_asked": None, **_show_step(out, turn, proc, 0)}


def _answer_detail(out: Output, turn: Turn, proc: Procedure, detail: str) -> SlotUpdates:
    """Answer detail `detail` of `proc`, asked by naming it: in `proc` itself, the place
    is kept; else `proc` becomes the current procedure, not started (slot `step` unset),
    and its steps are offered ("yes" starts them, slot `awaiting` "steps")."""
    if turn.procedure is proc:
        return _read_detail(out, turn, proc, detail)
    reply = render.section(
        CATALOGUE,
        proc,
        detail,
        turn.lang,
        turn.spoken,
        None,
        keys_only=turn.keys_only,
        started=False,
    )
    out.send(reply)
    out.signal(topic=proc.id)
    return {
        "procedure": proc.id,
        "step": None,
        "awaiting": "steps",
        "section_asked": None,
        "sections_heard": None,
    }


def _read_detail(out: Output, turn: Turn, proc: Procedure, detail: str | None) -> SlotUpdates:
    """Detail `detail` of the current procedure `proc` (none: the details offered), then
    where the person was; on the phone the sections not heard yet are offered again."""
    heard = list(turn.slots.get("sections_heard") or ())
    if detail in dict(proc.sections()) and detail not in heard:
        heard.append(detail)
    reply = render.section(
        CATALOGUE,
        proc,
        detail,
        turn.lang,
        turn.spoken,
        turn.step,
        heard,
        turn.page,
        turn.keys_only,
        started=turn.started,
    )
    out.send(reply)
    kept = _place_kept(turn)
    if turn.awaiting == "switch":  # the answer to "this procedure or the other?"
        kept["awaiting"] = None if turn.started else "steps"
    return {**kept, "sections_heard": heard or None}


def _persons_commune(turn: Turn) -> Commune | None:
    """The commune this message names ("contact my commune in Jette"), else the one the
    person said earlier (slot `commune`), else None."""
    place = resolve.find_commune(
        CATALOGUE.communes,
        postcode=turn.entities.get("postcode"),
        commune=turn.entities.get("commune"),
        said=turn.said.get("commune"),
    )
    if place.kind == resolve.FOUND and place.commune is not None:
        return place.commune
    return CATALOGUE.commune(turn.slots.get("commune"))


class ActionStep(LoketAction):
    """step_next, step_previous, step_repeat, step_restart, step_all."""

    action_name = "action_step"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Move through the current procedure."""
        proc = turn.procedure
        if proc is None:
            out.send(render.no_procedure_active(CATALOGUE, turn.lang, turn.spoken))
            return {}
        if not turn.started and turn.intent != "step_all":  # a detail was asked first
            return _start(out, turn, proc)
        if turn.intent == "step_all":
            rights = _rights_to_offer(turn, proc)
            out.send(render.all_steps(CATALOGUE, proc, turn.lang, turn.spoken, rights))
            return {"awaiting": "feedback", **_rights_offered(turn, rights)}
        if turn.intent == "step_previous" and turn.step == 0:
            out.send(render.first_step_notice(CATALOGUE, turn.lang, turn.spoken))
        moves = {"step_next": 1, "step_previous": -1}
        index = 0 if turn.intent == "step_restart" else turn.step + moves.get(turn.intent or "", 0)
        return _show_step(out, turn, proc, index)


class ActionExplainTerm(LoketAction):
    """explain_term: "what is the CPAS?", "c'est quoi un C4 ?", at any time.

    The term is found in the message's words (content/glossary.yml, `find_term`), so no
    entity is needed. The person keeps their place: every slot stays as it was.
    """

    action_name = "action_explain_term"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Explain the word, or say honestly there is no explanation and offer a person;
        in a procedure, then where the person was, with that step's buttons."""
        term = find_term(turn.text, CATALOGUE.glossary)
        reply = render.explain_term(
            CATALOGUE, term, turn.lang, turn.spoken, turn.keys_only, turn.procedure, turn.step
        )
        out.send(reply)
        return _place_kept(turn)


class ActionAskSection(LoketAction):
    """ask_section (entity `section`; `page`): one detail of the current procedure,
    asked in words ("and how much is it?") or with a phone key after its last step
    (/ask_section{"section":"cost"}).

    The person keeps their place; on the phone the sections not heard yet (slot
    `sections_heard`) are offered again, so each is offered until it has been heard.
    Before any procedure, the question is kept (slot `section_asked`) and the procedure
    chosen next answers it.
    """

    action_name = "action_ask_section"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Answer the detail, then where the person was; without a procedure, the menu."""
        proc = turn.procedure
        detail = turn.entities.get("section")
        if proc is None:
            out.send(render.which_procedure(CATALOGUE, turn.lang, turn.spoken, turn.keys_only))
            return {"section_asked": detail}
        if detail is None and (answered := _answer_case(out, turn)) is not None:
            return answered
        return _read_detail(out, turn, proc, detail)


def _answer_case(out: Output, turn: Turn) -> SlotUpdates | None:
    """A follow-up that names another case of the current procedure ("and if it was
    stolen?"): the part of the content that answers it, the place kept; None when the
    message names no case of it."""
    proc = turn.procedure
    found = resolve.find_case(proc, turn.text) if proc is not None else None
    if proc is None or found is None:
        return None
    reply = render.case(
        CATALOGUE, proc, found, turn.lang, turn.spoken, turn.step, turn.keys_only, turn.started
    )
    out.send(reply)
    return _place_kept(turn)


class ActionSendStepsBySms(LoketAction):
    """send_steps_by_sms: the steps of the current procedure, written for one SMS.

    The brain says nothing more: the hub asks for the number (or confirms the caller's
    own), fits the message into 3 SMS segments and sends it (bot/conversations/sms_steps.py).
    """

    action_name = "action_send_steps_by_sms"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Signal the SMS's parts; without a procedure, ask to choose one first."""
        if turn.procedure is None:
            out.send(render.no_procedure_active(CATALOGUE, turn.lang, turn.spoken))
            return {}
        out.signal(sms_steps=render.sms_steps(CATALOGUE, turn.procedure, turn.lang))
        return {"awaiting": turn.awaiting}  # "Did this help?" still stands after the SMS


class ActionReportProblem(LoketAction):
    """report_problem: a problem with an online public procedure, for the helpdesk.

    The brain says nothing: the hub asks which service, what went wrong, the person's
    own words and how to answer them, then files the report with a reference
    (bot/conversations/problem_reports.py).
    """

    action_name = "action_report_problem"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Signal the hub; where the person was in a procedure stays as it was."""
        out.signal(problem_report="asked")
        return {}


class ActionSwitchLanguage(LoketAction):
    """switch_language: continue in fr, nl or en (entity `language`), or ask which."""

    action_name = "action_switch_language"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Switch, confirm in the new language and repeat the current step in it."""
        lang = _language_code(turn.language_entity)
        if lang is None:
            out.send(render.ask_language(CATALOGUE, turn.lang, turn.spoken))
            return {"awaiting": turn.awaiting}
        out.signal(language=lang)
        switched = replace(turn, lang=lang)
        out.send(render.language_switched(CATALOGUE, lang, turn.spoken))
        updates: SlotUpdates = {"language": lang}
        if turn.procedure is not None:
            updates.update(_show_step(out, switched, turn.procedure, turn.step))
        return updates


class ActionRequestHuman(LoketAction):
    """request_human: ask the hub for a person."""

    action_name = "action_request_human"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Signal the hand-off request and explain it."""
        return _request_human(out, turn)


class ActionYesNo(LoketAction):
    """affirm, deny: the answer to the last yes/no question (slot `awaiting`)."""

    action_name = "action_yes_no"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Answer "Did this help?", "Talk to a person?", or go on with the procedure."""
        yes = turn.intent == "affirm"
        if turn.awaiting == "feedback":
            out.send(render.feedback_answer(CATALOGUE, turn.lang, turn.spoken, helped=yes))
            # The procedure is over either way; "no" offers a person.
            return {"procedure": None, "step": None, "awaiting": None if yes else "human"}
        if turn.awaiting == "human" and yes:
            return _request_human(out, turn)
        if turn.awaiting == "steps" and turn.procedure is not None:  # after a detail
            if yes:
                return _start(out, turn, turn.procedure)
            out.send(_menu(turn))
            return {"procedure": None, "step": None}
        if yes and turn.procedure is not None and turn.awaiting is None:
            return _show_step(out, turn, turn.procedure, turn.step + 1)
        out.send(_menu(turn))
        return {}


class ActionGoodbye(LoketAction):
    """thank, goodbye."""

    action_name = "action_goodbye"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Answer thanks or say goodbye; a goodbye tells the hub (a call hangs up after it)."""
        thanks = turn.intent == "thank"
        out.send(render.goodbye(CATALOGUE, turn.lang, turn.spoken, thanks))
        if not thanks:
            out.signal(farewell="said")
        return {}


class ActionCannotHelp(LoketAction):
    """nlu_fallback (not understood) and out_of_scope (understood, not handled)."""

    action_name = "action_cannot_help"

    def act(self, turn: Turn, out: Output) -> SlotUpdates:
        """Ask to rephrase, then offer a person; out of scope: say so and offer a person.

        Not understood, but two or three procedures about as likely: ask which one.
        That is a clarification, not a misunderstanding: the count starts again.
        """
        if turn.intent != "nlu_fallback":
            out.send(render.cannot_help(CATALOGUE, turn.lang, turn.spoken))
            return {"awaiting": "human"}
        if (answered := _answer_case(out, turn)) is not None:
            return answered  # "et si elle a été volée ?", not placed by the NLU
        candidates = resolve.ambiguous_procedures(CATALOGUE, turn.ranking)
        if candidates:
            out.send(render.did_you_mean(CATALOGUE, candidates, turn.lang, turn.spoken))
            return {"misunderstood": 0.0}
        count = turn.misunderstood + 1
        again = count >= 2
        out.signal(understood="no")  # agents and operators see what Loket missed
        reply = render.not_understood(
            CATALOGUE, turn.lang, turn.spoken, again, turn.keys_only, turn.procedure, turn.step
        )
        out.send(reply)
        # The first time, a pending yes/no question still stands.
        awaiting = "human" if again else turn.awaiting
        return {"misunderstood": float(count), "awaiting": awaiting}
