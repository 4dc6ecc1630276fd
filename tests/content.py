"""Content directories for the pure tests of actions/: fixtures, or every procedure.

- `fixture_content`: the real schemas, messages, communes and glossary with the fixture
  procedures, menu and clarifications (tests/fixtures): small and stable.
- `full_content`: the real content with the procedures still staged in
  content/procedures-next/ published too: the catalogue as it will be.
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content"
FIXTURES = REPO / "tests" / "fixtures"


def fixture_content(tmp_path: Path, with_procedures: bool = True) -> Path:
    """Build tmp_path/content from the real schemas, messages, communes and glossary and
    the fixtures."""
    content = tmp_path / "content"
    (content / "procedures").mkdir(parents=True)
    for name in (
        "procedure.schema.json",
        "messages.yml",
        "communes.yml",
        "glossary.yml",
        "glossary.schema.json",
    ):
        shutil.copy(CONTENT / name, content)
    for name in ("menu.yml", "clarifications.yml"):
        shutil.copy(FIXTURES / name, content)
    if with_procedures:
        for path in (FIXTURES / "procedures").glob("*.yml"):
            shutil.copy(path, content / "procedures")
    return content


def full_content(tmp_path: Path) -> Path:
    """Build tmp_path/content from the real content, staged procedures published."""
    content = tmp_path / "content"
    (content / "procedures").mkdir(parents=True)
    for path in [*CONTENT.glob("*.yml"), *CONTENT.glob("*.json")]:
        shutil.copy(path, content)
    for folder in ("procedures", "procedures-next"):
        for path in (CONTENT / folder).glob("*.yml"):
            shutil.copy(path, content / "procedures")
    return content
