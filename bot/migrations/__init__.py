"""Alembic schema migrations of the hub's database; `upgrade()` brings a database up to date."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATION_LOCK = 0x4C4F4B4554
"""The PostgreSQL advisory lock ("LOKET") a hub holds while it migrates (env.py)."""


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url`, without an alembic.ini file."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["url"] = url  # not a main option: '%' in passwords would break it
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` (blocking: run it in a thread from async code)."""
    command.upgrade(alembic_config(url), revision)
