"""Procedure titles for the console: agents read "Change of address", not "change-address".

The brain reports the topic a person reached by the procedure's id (or its intent);
the titles come from the same content files the brain reads, in every language.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import ROOT

log = logging.getLogger(__name__)
PROCEDURES = ROOT / "content" / "procedures"


def topic_title(topic: str | None, language: str) -> str | None:
    """The title of the procedure `topic` in `language`; the topic itself if unknown."""
    if not topic:
        return None
    titles = _titles(PROCEDURES).get(topic)
    return titles.get(language, topic) if titles else topic.replace("_", " ").replace("-", " ")


@lru_cache(maxsize=4)
def _titles(folder: Path) -> dict[str, dict[str, str]]:
    """{id or intent: {language: title}} of every procedure file in `folder`."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            procedure = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:  # the brain's checks report bad files
            log.warning("Cannot read the title of %s: %s", path.name, error)
            continue
        title = procedure.get("title")
        if isinstance(title, dict):
            for key in (procedure.get("id"), procedure.get("intent")):
                if isinstance(key, str):
                    found[key] = {str(k): str(v) for k, v in title.items()}
    return found
