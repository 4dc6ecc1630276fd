"""Reading Rasa's NLU training files: examples and their entity markup.

Used by the evaluation (nlu/evaluation/held_out.py) and by the hub's language lexicon
(bot/lexicon.py), which learns each language's words from the same examples.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

# "[Schaerbeek](commune)" or "[1030]{"entity": "postcode"}": the text and its spec.
MARKUP = re.compile(r"\[(?P<text>[^\]]+)\](?P<spec>\{[^}]*\}|\([^)]*\))")


def plain_text(raw: str) -> str:
    """A Rasa training line without its entity markup."""
    return MARKUP.sub(lambda m: m["text"], raw).strip()


def entity_type(spec: str) -> str:
    """The entity type of a markup's `(...)` or `{...}` part."""
    if spec.startswith("("):
        return spec[1:-1].split(":")[0].strip()
    return str(json.loads(spec)["entity"])


def read_examples(path: Path) -> Iterator[tuple[str, str]]:
    """(intent, annotated line) for every intent example of a Rasa NLU YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        examples = block.get("examples") or ""
        if isinstance(examples, list):  # the long form: a list of {text: ..., metadata: ...}
            lines = [f"- {item['text']}" for item in examples]
        else:
            lines = str(examples).splitlines()
        for line in lines:
            if line.strip().startswith("- "):
                yield str(block["intent"]), line.strip()[2:].strip()
