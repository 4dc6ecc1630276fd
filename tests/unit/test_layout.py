"""The layout's rules (docs/architecture.md, "Layout"): voice/ is speech only and needs
nothing of bot/; the core (bot/conversations/) knows no channel and no page."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from bot import settings
from voice import languages

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Every module a Python file imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "voice").glob("*.py")), ids=lambda p: p.name)
def test_voice_imports_nothing_from_the_hub(path: Path):
    hub = {name for name in imported_modules(path) if name.split(".")[0] in {"bot", "tools"}}
    assert not hub, f"voice/{path.name} imports {sorted(hub)}"


def test_voice_speaks_the_hubs_languages():
    assert languages.LANGUAGES == settings.LANGUAGES
    assert get_args(languages.Language) == get_args(settings.Language)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "bot" / "conversations").glob("*.py")), ids=lambda p: p.name
)
def test_the_core_imports_no_channel_and_no_console(path: Path):
    outer = {
        name
        for name in imported_modules(path)
        if name.startswith(("bot.channels", "bot.console", "tools"))
    }
    assert not outer, f"bot/conversations/{path.name} imports {sorted(outer)}"
