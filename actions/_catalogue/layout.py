"""Names of the files and folders of a content directory, and the variable that moves it."""

from __future__ import annotations

import os
from pathlib import Path

CONTENT_DIR_ENV = "LOKET_CONTENT_DIR"
SCHEMA_FILE = "procedure.schema.json"
PROCEDURES_DIR = "procedures"
MESSAGES_FILE = "messages.yml"
MENU_FILE = "menu.yml"
CLARIFICATIONS_FILE = "clarifications.yml"
COMMUNES_FILE = "communes.yml"
GLOSSARY_FILE = "glossary.yml"
GLOSSARY_SCHEMA_FILE = "glossary.schema.json"
STAGING_DIR = "procedures-next"
"""Procedures written but not published yet; menu.yml may already name them."""


def default_content_dir() -> Path:
    """Return $LOKET_CONTENT_DIR if set, else the repository's content/ next to actions/."""
    override = os.environ.get(CONTENT_DIR_ENV, "").strip()
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "content"
