"""Names of the files and folders of a content directory, and the variable that moves it."""

from __future__ import annotations

CONTENT_DIR_ENV = "LOKET_CONTENT_DIR"
SCHEMA_FILE = "procedure.schema.json"
PROCEDURES_DIR = "procedures"
MESSAGES_FILE = "messages.yml"
MENU_FILE = "menu.yml"
CLARIFICATIONS_FILE = "clarifications.yml"
COMMUNES_FILE = "communes.yml"
STAGING_DIR = "procedures-next"
"""Procedures written but not published yet; menu.yml may already name them."""
