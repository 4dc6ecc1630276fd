"""menu.yml: the topic menu, categories of procedures in order, each procedure in one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .checks import (
    HYPHENATED_ID,
    MAX_OPTIONS,
    ProcedureIds,
    fields_problems,
    id_problems,
    languages_problems,
    list_problems,
    read_required,
    report_all,
)
from .layout import PROCEDURES_DIR
from .model import Category, build_text
from .report import PathParts, Report, format_field


def load_menu(path: Path, ids: ProcedureIds, report: Report) -> tuple[Category, ...]:
    """Validate and build menu.yml; problems go to `report`."""
    doc = read_required(path, report)
    if doc is None:
        return ()
    problems = list(_menu_problems(doc.data, ids))
    report_all(doc, problems, report)
    if problems:
        return ()
    categories = (
        Category(
            id=entry["id"],
            title=build_text(entry["title"]),
            procedures=tuple(pid for pid in entry["procedures"] if pid in ids.files),
        )
        for entry in doc.data["categories"]
    )
    # A category whose procedures are all staged would be an empty menu entry.
    return tuple(category for category in categories if category.procedures)


def _menu_problems(data: Any, ids: ProcedureIds) -> Iterator[tuple[PathParts, str]]:
    """Every problem of menu.yml: shape, ids, limits, each procedure in exactly one category."""
    top = fields_problems((), data, ("categories",))
    yield from top
    if top:
        return
    categories = data["categories"]
    shape = list_problems(("categories",), categories, "category")
    yield from shape
    if shape:
        return
    if len(categories) > MAX_OPTIONS:
        yield (
            ("categories",),
            f"has {len(categories)} categories; at most {MAX_OPTIONS} "
            "(phone keys 1 to 9, and the last option is Talk to a person)",
        )
    seen: dict[str, str] = {}
    placed: dict[str, PathParts] = {}
    for index, entry in enumerate(categories):
        where: PathParts = ("categories", index)
        fields = fields_problems(where, entry, ("id", "title", "procedures"))
        yield from fields
        if not isinstance(entry, dict):
            continue
        if "id" in entry:
            yield from id_problems(where, entry["id"], HYPHENATED_ID, "identity", seen)
        if "title" in entry:
            yield from languages_problems((*where, "title"), entry["title"])
        if "procedures" in entry:
            yield from _category_procedures_problems(where, entry["procedures"], ids, placed)
    for stem in sorted(ids.files - placed.keys()):
        yield (
            ("categories",),
            f"{stem} ({PROCEDURES_DIR}/{stem}.yml) is in no category; add it to one",
        )


def _category_procedures_problems(
    where: PathParts, procedures: Any, ids: ProcedureIds, placed: dict[str, PathParts]
) -> Iterator[tuple[PathParts, str]]:
    """Problems of one category's procedure list; records where each procedure is placed."""
    shape = list_problems((*where, "procedures"), procedures, "procedure id")
    yield from shape
    if shape:
        return
    if len(procedures) > MAX_OPTIONS:
        yield (
            (*where, "procedures"),
            f"has {len(procedures)} procedures; at most {MAX_OPTIONS} "
            "(phone keys 1 to 9, and the last option is Menu)",
        )
    for index, value in enumerate(procedures):
        at: PathParts = (*where, "procedures", index)
        if problem := ids.problem(value):
            yield at, problem
        elif value in placed:
            where_else = format_field(placed[value])
            yield at, f"{value} is already in {where_else}: a procedure is in one category only"
        else:
            placed[value] = at
