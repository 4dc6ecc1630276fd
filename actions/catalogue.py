"""Load and validate Loket's content: the procedure catalogue and the bot's messages.

Pure Python (stdlib, PyYAML, jsonschema): the brain's action server loads it at start,
and the hub's test suite (Python 3.11+, no Rasa) imports it to check the content in CI.

Layout of a content directory (normally the repository's `content/`):

    procedure.schema.json     JSON Schema of one procedure file
    procedures/<id>.yml       one procedure, FR/NL/EN side by side
    messages.yml              every other sentence the bot says
    menu.yml                  the topic menu: categories of procedures, in order
    clarifications.yml        questions asked when a request is ambiguous
    communes.yml              the 19 Brussels communes and their postcodes

menu.yml and clarifications.yml name procedures by id (the file name without .yml).
An id with no file in procedures/ is an error, except when the file is staged in
procedures-next/ (written, not yet published): it is left out until it is moved.

Every problem of every file is collected and reported at once in a `CatalogueError`,
one line each: "<file>:<line>: <field path>: <what is wrong>".

This module is the front door: callers import everything from `actions.catalogue`.
The code lives in `actions/_catalogue/`, one concept per module, in the order
`load_catalogue` uses them:

    model.py            what loading returns (Text, Phrase, Procedure, Messages, Category,
                        Clarification, Commune, Catalogue) and CatalogueError
    layout.py           the names of the files and folders above
    report.py           field paths ("steps[2].spoken.nl") and the Report collecting problems
    yaml_source.py      the strict YAML loader; documents that know the line of each field
    schema.py           procedure.schema.json, and its errors in plain language
    checks.py           checks the schema cannot do, and checks shared by the small files
    procedures.py       procedures/*.yml
    messages.py         messages.yml: the messages it must hold and their placeholders
    menu.py             menu.yml
    clarifications.py   clarifications.yml
    communes.py         communes.yml
"""

from __future__ import annotations

import os
from pathlib import Path

from ._catalogue.checks import MAX_OPTIONS, ProcedureIds, spoken_problem, stems
from ._catalogue.clarifications import load_clarifications
from ._catalogue.communes import load_communes
from ._catalogue.layout import (
    CLARIFICATIONS_FILE,
    COMMUNES_FILE,
    CONTENT_DIR_ENV,
    MENU_FILE,
    MESSAGES_FILE,
    PROCEDURES_DIR,
    SCHEMA_FILE,
    STAGING_DIR,
)
from ._catalogue.menu import load_menu
from ._catalogue.messages import BUTTON_NAMES, REQUIRED_MESSAGES, load_messages
from ._catalogue.model import (
    LANGUAGES,
    SECTIONS,
    Catalogue,
    CatalogueError,
    Category,
    Clarification,
    ClarificationOption,
    Commune,
    Messages,
    Phrase,
    Procedure,
    Text,
)
from ._catalogue.procedures import load_procedures
from ._catalogue.report import PathParts, Report, format_field
from ._catalogue.schema import load_schema

__all__ = [
    "BUTTON_NAMES",
    "CLARIFICATIONS_FILE",
    "COMMUNES_FILE",
    "CONTENT_DIR_ENV",
    "LANGUAGES",
    "MAX_OPTIONS",
    "MENU_FILE",
    "MESSAGES_FILE",
    "PROCEDURES_DIR",
    "REQUIRED_MESSAGES",
    "SCHEMA_FILE",
    "SECTIONS",
    "STAGING_DIR",
    "Catalogue",
    "CatalogueError",
    "Category",
    "Clarification",
    "ClarificationOption",
    "Commune",
    "Messages",
    "PathParts",
    "Phrase",
    "Procedure",
    "Text",
    "default_content_dir",
    "format_field",
    "load_catalogue",
    "spoken_problem",
]


def default_content_dir() -> Path:
    """Return $LOKET_CONTENT_DIR if set, else the repository's content/ next to actions/."""
    override = os.environ.get(CONTENT_DIR_ENV, "").strip()
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "content"


def load_catalogue(content_dir: Path) -> Catalogue:
    """Read and validate a content directory; raise CatalogueError listing every problem."""
    content_dir = Path(content_dir)
    report = Report(content_dir)
    validator = load_schema(content_dir / SCHEMA_FILE, report)
    procedures = load_procedures(content_dir / PROCEDURES_DIR, validator, report)
    messages = load_messages(content_dir / MESSAGES_FILE, report)
    # References are checked against the files, not the procedures that loaded: a
    # broken procedure is reported once, in its own file.
    ids = ProcedureIds(
        files=stems(content_dir / PROCEDURES_DIR),
        staged=stems(content_dir / STAGING_DIR) - stems(content_dir / PROCEDURES_DIR),
    )
    menu = load_menu(content_dir / MENU_FILE, ids, report)
    clarifications = load_clarifications(content_dir / CLARIFICATIONS_FILE, ids, report)
    communes = load_communes(content_dir / COMMUNES_FILE, report)
    report.raise_if_any()
    assert messages is not None  # a None here always comes with a reported problem
    return Catalogue(
        procedures=procedures,
        messages=messages,
        menu=menu,
        clarifications=clarifications,
        communes=communes,
    )
