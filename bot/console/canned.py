"""Ready-made replies for agents, in three languages, from content/canned_replies.yml."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import LANGUAGES, ROOT

CANNED_REPLIES = ROOT / "content" / "canned_replies.yml"


class CannedRepliesError(ValueError):
    """The file of ready-made replies is not as expected; the message says where."""


@dataclass(frozen=True)
class CannedReply:
    """One ready-made reply: how the agent knows it, and what the person gets."""

    id: str
    label: dict[str, str]
    text: dict[str, str]


def canned_replies(path: Path = CANNED_REPLIES) -> list[CannedReply]:
    """Every ready-made reply, in file order (read once per process)."""
    return list(_load(path))


def find(reply_id: str, language: str, path: Path = CANNED_REPLIES) -> str | None:
    """The text of the reply `reply_id` in `language`, or None if there is none."""
    for reply in _load(path):
        if reply.id == reply_id:
            return reply.text.get(language)
    return None


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[CannedReply, ...]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    replies = document.get("replies")
    if not isinstance(replies, list):
        raise CannedRepliesError(f"{path}: expected a list under 'replies'")
    return tuple(_reply(entry, path) for entry in replies)


def _reply(entry: object, path: Path) -> CannedReply:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise CannedRepliesError(f"{path}: every reply needs an 'id'")
    fields = {}
    for name in ("label", "text"):
        value = entry.get(name)
        if not isinstance(value, dict) or not all(
            isinstance(value.get(lang), str) and value[lang].strip() for lang in LANGUAGES
        ):
            raise CannedRepliesError(f"{path}: reply {entry['id']!r} needs '{name}' in fr, nl, en")
        fields[name] = {lang: value[lang].strip() for lang in LANGUAGES}
    return CannedReply(entry["id"], fields["label"], fields["text"])
