"""The layout's rules (DESIGN.md, "Layout"): voice/ is speech only and needs nothing of bot/."""

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
