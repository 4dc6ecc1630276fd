"""procedure.schema.json: loading it, and turning its errors into plain-language problems."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from .model import LANGUAGES
from .report import PathParts, Report


def load_schema(path: Path, report: Report) -> jsonschema.protocols.Validator | None:
    """Read the procedure JSON Schema; record a problem and return None if unusable."""
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
    except OSError as exc:
        report.add(path, None, (), f"cannot be read ({exc.strerror or exc})")
        return None
    except json.JSONDecodeError as exc:
        report.add(path, exc.lineno, (), f"is not valid JSON: {exc.msg}")
        return None
    except jsonschema.SchemaError as exc:
        report.add(path, None, tuple(exc.absolute_path), f"is not a valid schema: {exc.message}")
        return None
    return validator_class(schema)


_HINTS: Mapping[str, str] = {
    "checked_on": "must be a date like 2026-11-30",
    "id": "must use lowercase letters, digits and hyphens, like lost-eid",
    "intent": "must be proc_ followed by lowercase letters, digits or underscores, "
    "like proc_lost_eid",
    "sources": "must be a web address starting with https://",
}


def schema_problems(
    validator: jsonschema.protocols.Validator, data: Any
) -> Iterator[tuple[PathParts, str]]:
    """Yield (field path, plain-language problem) for every schema violation."""
    if data is None:
        yield (), "is empty"
        return
    seen: set[tuple[PathParts, str]] = set()
    for error in validator.iter_errors(data):
        for found in _describe(error):
            if found not in seen:
                seen.add(found)
                yield found


def _describe(error: jsonschema.ValidationError) -> Iterator[tuple[PathParts, str]]:
    """Translate one jsonschema error into (field path, problem) pairs."""
    path: PathParts = tuple(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield (*path, key), "is missing"
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield (*path, str(key)), f"is not a known field (known: {', '.join(allowed)})"
    else:
        yield path, _problem(error, path)


def _problem(error: jsonschema.ValidationError, path: PathParts) -> str:
    """Say in plain words what is wrong with one value."""
    kind, expected = error.validator, error.validator_value
    names = [part for part in path if isinstance(part, str)]
    hint = _HINTS.get(names[-1]) if len(names) == 1 else None
    if kind in ("type", "pattern", "format") and hint and expected not in ("array", "object"):
        return hint
    if kind == "type":
        return _type_problem(expected, error.schema, path)
    if kind == "minLength":
        return f"must be a non-empty text (at least {expected} characters)"
    if kind == "maxLength":
        return f"is too long ({len(error.instance)} characters; at most {expected})"
    if kind == "minItems":
        return f"must have at least {expected} item{'s' if expected != 1 else ''}"
    return str(error.message)


def _type_problem(expected: Any, schema: Mapping[str, Any], path: PathParts) -> str:
    """Explain a wrong value type, naming what the editor should write instead."""
    required = schema.get("required", [])
    if expected == "string":
        return "must be a non-empty text" if path and path[-1] in LANGUAGES else "must be a text"
    if expected == "array":
        return "must be a list"
    if expected == "object" and not path:
        return "must be a set of fields (id, intent, checked_on, ...)"
    if expected == "object" and set(required) == set(LANGUAGES):
        return "must have a text for each language: fr, nl and en"
    if expected == "object" and set(required) == {"written", "spoken"}:
        return "must have a written and a spoken form, each with fr, nl and en"
    return f"must be of type {expected}"
