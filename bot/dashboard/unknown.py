"""What Loket did not understand: the person's messages marked understood=False, in groups.

Grouping is simple and deterministic: texts are normalised (lower case, accents and
punctuation removed), then each joins the first group whose first text shares at least
SIMILAR of its words (token-set Jaccard). No model, no new dependency. Texts are redacted
(bot/redact.py) before they are grouped, shown or exported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversations.model import Author, Conversation, Message
from bot.dashboard.figures import Period
from bot.folding import fold
from bot.redact import redact

SIMILAR = 0.5  # Jaccard of word sets from which two texts are "the same question"
LIMIT = 5000  # the most recent not-understood messages considered in one period
_WORD = re.compile(r"\w+")


@dataclass
class Group:
    """Texts that say about the same thing; `key` is the first one's word set."""

    key: frozenset[str]
    texts: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The group's first text, as shown."""
        return self.texts[0]


def words(text: str) -> frozenset[str]:
    """The set of words of `text`, without case, accents or punctuation."""
    return frozenset(_WORD.findall(fold(text)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared words over all words (1.0 for two empty sets)."""
    return len(a & b) / len(a | b) if a | b else 1.0


def group(texts: list[str]) -> list[Group]:
    """Texts in groups of similar ones, largest first (ties: first seen first)."""
    groups: list[Group] = []
    for text in texts:
        key = words(text)
        home = next((g for g in groups if jaccard(g.key, key) >= SIMILAR), None)
        if home is None:
            home = Group(key)
            groups.append(home)
        home.texts.append(text)
    return sorted(groups, key=lambda g: -len(g.texts))


def shown(groups: list[Group], smallest: int) -> list[Group]:
    """Groups of at least `smallest` messages; the rest in one last group if that is as big.

    A rare sentence can point at one person: it is not shown by itself.
    """
    big = [g for g in groups if len(g.texts) >= smallest]
    rest = [text for g in groups if len(g.texts) < smallest for text in g.texts]
    return big + ([Group(frozenset(), rest)] if len(rest) >= smallest else [])


async def not_understood(session: AsyncSession, period: Period) -> list[str]:
    """The redacted texts of the person's messages the bot did not understand."""
    query = (
        select(Message.text)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.author == Author.PERSON,
            Message.understood.is_(False),
            Message.created_at >= period.start,
            Message.created_at < period.end,
        )
        .order_by(Message.id.desc())
        .limit(LIMIT)
    )
    return [redact(text) for text in (await session.execute(query)).scalars()]


def nlu_yaml(groups: list[Group], intent_prefix: str = "unknown") -> str:
    """The groups as Rasa 3 NLU training data, one intent per group, to be renamed by hand."""
    nlu = [
        {
            "intent": f"{intent_prefix}_{number}",
            "examples": "".join(f"- {text}\n" for text in dict.fromkeys(g.texts)),
        }
        for number, g in enumerate(groups, start=1)
    ]
    return yaml.dump(
        {"version": "3.1", "nlu": nlu}, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False
    )


class _LiteralDumper(yaml.SafeDumper):
    """Examples as a block `|` string, the way Rasa writes them."""


def _literal(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _literal)
