"""Reporting problems: field paths, how editors read them, and the Report collecting them.

Every loader adds its problems to one Report, which raises a single CatalogueError at
the end so every file can be fixed in one go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .model import CatalogueError

PathParts = tuple[str | int, ...]


def format_field(path: Sequence[str | int]) -> str:
    """Format a field path for editors: ("steps", 2, "spoken", "nl") -> "steps[2].spoken.nl"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Report:
    """Collects problems of all files so they can be fixed in one go."""

    content_dir: Path
    problems: list[str] = field(default_factory=list)

    def name(self, path: Path) -> str:
        """Name a file relative to the content directory's parent, e.g. content/messages.yml."""
        try:
            inner = path.relative_to(self.content_dir).parts
        except ValueError:
            return path.as_posix()
        return Path(self.content_dir.name, *inner).as_posix()

    def add(self, path: Path, line: int | None, where: PathParts, problem: str) -> None:
        """Record one problem of file `path` at field `where` (line is 1-based)."""
        location = self.name(path) + (f":{line}" if line else "")
        label = format_field(where)
        prefix = f"{location}: {label}" if label else location
        self.problems.append(f"{prefix}: {problem}")

    def raise_if_any(self) -> None:
        """Raise one CatalogueError listing every recorded problem."""
        if self.problems:
            raise CatalogueError(self.problems)
