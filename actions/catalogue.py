"""Load and validate Loket's content: the procedure catalogue and the bot's messages.

Pure Python (stdlib, PyYAML, jsonschema): the brain's action server loads it at start,
and the hub's test suite (Python 3.11+, no Rasa) imports it to check the content in CI.

Layout of a content directory (normally the repository's `content/`):

    procedure.schema.json     JSON Schema of one procedure file
    procedures/<id>.yml       one procedure, FR/NL/EN side by side
    messages.yml              every other sentence the bot says
    menu.yml                  the topic menu: categories of procedures, in order
    clarifications.yml        questions asked when a request is ambiguous
    communes.yml              the 19 Brussels communes, their postcodes and contacts
    glossary.yml              words people do not know, explained (glossary.schema.json)

menu.yml and clarifications.yml name procedures by id (the file name without .yml).
An id with no file in procedures/ is an error, except when the file is staged in
procedures-next/ (written, not yet published): it is left out until it is moved.

Every problem of every file is collected and reported at once in a `CatalogueError`,
one line each: "<file>:<line>: <field path>: <what is wrong>".

This module is the front door: callers import everything from `actions.catalogue`.
The code lives in `actions/_catalogue/`, one concept per module, in the order
`load_catalogue` uses them:

    model.py            what loading returns (Text, Phrase, RelatedRight, Procedure, Messages,
                        Category, Clarification, Commune, Term, Catalogue) and CatalogueError
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
    glossary.py         glossary.yml, and finding the term a question names
"""

from __future__ import annotations

from pathlib import Path

from ._catalogue.checks import MAX_OPTIONS, ProcedureIds, spoken_problem, stems
from ._catalogue.clarifications import load_clarifications
from ._catalogue.communes import load_communes
from ._catalogue.glossary import find_term, glossary, load_glossary
from ._catalogue.layout import (
    CLARIFICATIONS_FILE,
    COMMUNES_FILE,
    CONTENT_DIR_ENV,
    GLOSSARY_FILE,
    GLOSSARY_SCHEMA_FILE,
    MENU_FILE,
    MESSAGES_FILE,
    PROCEDURES_DIR,
    SCHEMA_FILE,
    STAGING_DIR,
    default_content_dir,
)
from ._catalogue.menu import load_menu
from ._catalogue.messages import BUTTON_NAMES, REQUIRED_MESSAGES, load_messages
from ._catalogue.model import (
    LANGUAGES,
    SECTIONS,
    Case,
    Catalogue,
    CatalogueError,
    Category,
    Clarification,
    ClarificationOption,
    Commune,
    Messages,
    Phrase,
    Procedure,
    RelatedRight,
    Term,
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
    "GLOSSARY_FILE",
    "GLOSSARY_SCHEMA_FILE",
    "LANGUAGES",
    "MAX_OPTIONS",
    "MENU_FILE",
    "MESSAGES_FILE",
    "PROCEDURES_DIR",
    "REQUIRED_MESSAGES",
    "SCHEMA_FILE",
    "SECTIONS",
    "STAGING_DIR",
    "Case",
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
    "RelatedRight",
    "Term",
    "Text",
    "default_content_dir",
    "find_term",
    "format_field",
    "glossary",
    "load_catalogue",
    "spoken_problem",
]


def load_catalogue(content_dir: Path) -> Catalogue:
    """Read and validate a content directory; raise CatalogueError listing every problem."""
    content_dir = Path(content_dir)
    report = Report(content_dir)
    validator = load_schema(content_dir / SCHEMA_FILE, report)
    # References are checked against the files, not the procedures that loaded: a
    # broken procedure is reported once, in its own file.
    ids = ProcedureIds(
        files=stems(content_dir / PROCEDURES_DIR),
        staged=stems(content_dir / STAGING_DIR) - stems(content_dir / PROCEDURES_DIR),
    )
    procedures = load_procedures(content_dir / PROCEDURES_DIR, validator, ids, report)
    messages = load_messages(content_dir / MESSAGES_FILE, report)
    menu = load_menu(content_dir / MENU_FILE, ids, report)
    clarifications = load_clarifications(content_dir / CLARIFICATIONS_FILE, ids, report)
    communes = load_communes(content_dir / COMMUNES_FILE, report)
    terms = load_glossary(content_dir, report)
    report.raise_if_any()
    assert messages is not None  # a None here always comes with a reported problem
    return Catalogue(
        procedures=procedures,
        messages=messages,
        menu=menu,
        clarifications=clarifications,
        communes=communes,
        glossary=terms,
    )
