"""messages.yml: every other sentence the bot says, the messages it must hold, and their
placeholders.

An entry is either {fr, nl, en} (same words written and spoken) or
{written: {fr, nl, en}, spoken: {fr, nl, en}}; clarifications.yml writes its questions
the same way.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .checks import spoken_problem
from .model import LANGUAGES, SECTIONS, Messages, Phrase, build_phrase, build_text
from .report import PathParts, Report
from .yaml_source import read_yaml

BUTTON_NAMES: tuple[str, ...] = (
    "next",
    "previous",
    "repeat",
    "all_steps",
    "restart",
    "menu",
    "human",
    "yes",
    "no",
    "more",
    "contact_commune",
    "sms_steps",
)
# Messages that invite speech on the phone: each has a keypad-only form, `<name>_keys`,
# said in a language with no speech model.
INVITING_SPEECH: tuple[str, ...] = (
    "open_question",
    "menu_prompt",
    "keys_next_step",
    "not_understood",
)
"""Button titles messages.yml must hold, as messages called button_<name>."""


_NONE: frozenset[str] = frozenset()
REQUIRED_MESSAGES: Mapping[str, frozenset[str]] = {
    "greeting": _NONE,
    "intro": _NONE,
    "menu_prompt": _NONE,
    "procedure_start": frozenset({"total"}),
    "procedure_one_step": _NONE,
    "step_label": frozenset({"n", "total"}),
    "all_steps_intro": frozenset({"title"}),
    "sms_more_info": frozenset({"link"}),
    "end_of_procedure": _NONE,
    **{f"section_{name}": _NONE for name in SECTIONS},
    "did_it_help": _NONE,
    "glad_it_helped": _NONE,
    "sorry_not_helped": _NONE,
    "not_understood": _NONE,
    "not_understood_again": _NONE,
    "cannot_help": _NONE,
    "no_procedure_active": _NONE,
    "first_step": _NONE,
    "ask_language": _NONE,
    "language_switched": _NONE,
    "goodbye": _NONE,
    "thanks_reply": _NONE,
    **{f"button_{name}": _NONE for name in BUTTON_NAMES},
    # Read on the phone after a menu, one per option: the phone layer reads text only.
    "press_for": frozenset({"option", "n"}),
    "press_human": frozenset({"n"}),
    "press_menu": frozenset({"n"}),
    "press_contact_commune": frozenset({"n"}),
    "press_more": frozenset({"n"}),
    "phone_greeting": _NONE,
    **{name: _NONE for name in INVITING_SPEECH},
    **{f"{name}_keys": _NONE for name in INVITING_SPEECH},
    "phone_repeat": frozenset({"number"}),  # after a phone number said on the phone (spoken.py)
    "category_prompt": frozenset({"category"}),
    "did_you_mean": _NONE,
    "commune_found_postcode": frozenset({"postcode", "commune"}),
    "commune_found_name": frozenset({"commune"}),
    "commune_services": _NONE,
    "commune_unknown_postcode": frozenset({"postcode"}),
    "commune_unknown_name": _NONE,
    "ask_commune": _NONE,
    # Keeping the person's place in a procedure, words explained, related rights.
    "resume_step": frozenset({"n", "total", "title"}),
    "resume_last_step": frozenset({"title"}),
    "not_understood_in_step": _NONE,
    "term_unknown": _NONE,
    "section_rights": _NONE,
    # On the phone, the sections offered one key each after the last step.
    **{f"button_section_{name}": _NONE for name in SECTIONS},
    **{f"press_section_{name}": frozenset({"n"}) for name in SECTIONS},
    "button_more_sections": _NONE,
    "press_more_sections": frozenset({"n"}),
    # Questions about one detail of a procedure ("how much does it cost?").
    "section_who": _NONE,
    "button_section_who": _NONE,
    "section_missing": frozenset({"title"}),
    "section_missing_where": _NONE,
    "section_missing_ask": _NONE,
    "section_choose": frozenset({"title"}),
    "section_which_procedure": _NONE,
    "section_which_of_two": frozenset({"current", "other"}),
    "steps_offer": frozenset({"title"}),
}
"""Messages the renderer needs, with the placeholders each must use in every language."""


def load_messages(path: Path, report: Report) -> Messages | None:
    """Validate and build messages.yml; return None (problems reported) if unusable."""
    if not path.is_file():
        report.add(path, None, (), "is missing")
        return None
    doc = read_yaml(path, report)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        report.add(path, doc.line(()), (), "must be a set of named messages")
        return None
    problems = [((name,), "is missing") for name in REQUIRED_MESSAGES if name not in doc.data]
    phrases: dict[str, Phrase] = {}
    for name, entry in doc.data.items():
        found = list(message_problems(str(name), entry))
        problems += found
        if not found:
            phrases[str(name)] = message_phrase(entry)
    for where, problem in problems:
        report.add(path, doc.line(where), where, problem)
    return None if problems else Messages(phrases)


def _message_forms(name: str, entry: Any) -> dict[PathParts, Any] | None:
    """Return the language maps of one message entry by path, or None if its shape is wrong.

    An entry is either {fr, nl, en} (same words written and spoken) or
    {written: {fr, nl, en}, spoken: {fr, nl, en}}.
    """
    if isinstance(entry, dict) and set(entry) == {"written", "spoken"}:
        return {(name, "written"): entry["written"], (name, "spoken"): entry["spoken"]}
    if isinstance(entry, dict) and not {"written", "spoken"} & set(entry):
        return {(name,): entry}
    return None


def message_problems(name: str, entry: Any) -> Iterator[tuple[PathParts, str]]:
    """Yield every problem of one message: shape, languages, URLs when spoken, placeholders."""
    forms = _message_forms(name, entry)
    if forms is None:
        yield (name,), "must have fr, nl and en, or a written and a spoken form with fr, nl, en"
        return
    placeholders: dict[PathParts, frozenset[str]] = {}
    for where, texts in forms.items():
        if not isinstance(texts, dict):
            yield where, "must have a text for each language: fr, nl and en"
            continue
        for lang in texts:
            if lang not in LANGUAGES:
                yield (*where, str(lang)), "is not a known language (use fr, nl and en)"
        for lang in LANGUAGES:
            found = yield from _message_text_problems((*where, lang), texts.get(lang), where)
            if found is not None:
                placeholders[(*where, lang)] = found
    yield from _placeholder_problems(name, placeholders)


def _message_text_problems(
    where: PathParts, text: Any, form: PathParts
) -> Iterator[tuple[PathParts, str]]:
    """Yield problems of one message text; return its placeholder names if it is usable."""
    if text is None:
        yield where, "is missing"
        return None
    if not isinstance(text, str) or not text.strip():
        yield where, "must be a non-empty text"
        return None
    spoken = form[-1] == "spoken" or len(form) == 1
    if spoken and (problem := spoken_problem(text)):
        yield where, problem
    try:
        names = [found[1] for found in string.Formatter().parse(text) if found[1] is not None]
    except ValueError as exc:
        yield where, f"has a broken placeholder ({exc}); write placeholders like {{n}}"
        return None
    if "" in names or any(not name.isidentifier() for name in names):
        yield where, "has a placeholder without a plain name; write placeholders like {n}"
        return None
    return frozenset(names)


def _placeholder_problems(
    name: str, placeholders: Mapping[PathParts, frozenset[str]]
) -> Iterator[tuple[PathParts, str]]:
    """Yield texts whose placeholders differ from the required set or from the other texts."""
    if not placeholders:
        return
    reference = REQUIRED_MESSAGES.get(name)
    if reference is None:
        reference = next(iter(placeholders.values()))
    for where, found in placeholders.items():
        if found != reference:
            expected = f"must use the placeholders {_braces(reference)} like the other texts"
            yield where, f"{expected}, not {_braces(found)}"


def _braces(names: frozenset[str]) -> str:
    """Show placeholder names as editors write them: {n} {total}, or 'none'."""
    return " ".join(f"{{{name}}}" for name in sorted(names)) or "none"


def message_phrase(entry: Mapping[str, Any]) -> Phrase:
    """Build the Phrase of a validated message entry."""
    if "written" in entry:
        return build_phrase(entry)
    text = build_text(entry)
    return Phrase(written=text, spoken=text)
