"""Reading hand-written YAML: a strict loader, and documents that keep their node tree to
give the line of each problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .report import PathParts, Report

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BOOL_TAG = "tag:yaml.org,2002:bool"


class _ContentLoader(yaml.SafeLoader):
    """SafeLoader for hand-written content.

    Why each change: an unquoted 2026-11-30 would become a date object and fail the
    schema's "text" rule confusingly, so dates stay text; YAML 1.1 reads no/yes/on/off
    as booleans, which would turn an English "No" button into False, so only
    true/false are booleans; a repeated key would silently drop a translation, so it
    is an error.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key that appears twice."""
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice", key_node.start_mark
                )
            if key is not None:
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TIMESTAMP_TAG, _BOOL_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ContentLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Document:
    """A parsed YAML file with its node tree, kept to give line numbers for problems."""

    path: Path
    data: Any
    node: yaml.Node | None

    def line(self, where: PathParts) -> int | None:
        """Return the 1-based line of the deepest field along `where` that exists.

        None when only the whole document matches: "line 1" would point nowhere useful.
        """
        node, line = self.node, None
        for part in where:
            found = _child(node, part) if node is not None else None
            if found is None:
                break
            mark, node = found
            line = mark.line + 1
        return line


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Mark, yaml.Node] | None:
    """Return (where the field starts, its value node) for key or index `part`, or None.

    For a mapping the field starts at its key, the line an editor looks for.
    """
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        return next(
            ((key.start_mark, value) for key, value in node.value if key.value == part), None
        )
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part].start_mark, node.value[part]
    return None


def read_yaml(path: Path, report: Report) -> Document | None:
    """Parse one YAML file; on failure record the problem (with its line) and return None."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report.add(path, None, (), "is not UTF-8 text")
        return None
    except OSError as exc:
        report.add(path, None, (), f"cannot be read ({exc.strerror or exc})")
        return None
    loader = _ContentLoader(source)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        report.add(path, line, (), f"is not valid YAML: {exc.problem or exc.context}")
        return None
    except yaml.YAMLError as exc:
        report.add(path, None, (), f"is not valid YAML: {exc}")
        return None
    finally:
        loader.dispose()
    return Document(path, data, node)
