"""The README and the docs stay true: every setting, channel, intent and procedure is in them.

The procedures table of docs/architecture.md and the whole of docs/sources.md are made
from the catalogue: `.venvs/hub/bin/python -m tests.unit.test_docs` writes them again.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.catalogue import Catalogue, load_catalogue
from bot.settings import ROOT, Settings

ARCHITECTURE = ROOT / "docs" / "architecture.md"
SOURCES = ROOT / "docs" / "sources.md"
CHANNELS = ROOT / "bot" / "channels"
PROCEDURES = re.compile(r"(<!-- procedures:start -->\n).*?(<!-- procedures:end -->)", re.S)
REWRITE = "run `.venvs/hub/bin/python -m tests.unit.test_docs` to write it again"


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        variable = "DATABASE_URL" if name == "database_url" else f"LOKET_{name.upper()}"
        assert f"| `{variable}` |" in readme, f"{variable} is missing from the README table"


def test_the_readme_shows_the_two_commands():
    readme = Path(ROOT / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme


def channels() -> list[str]:
    """The channels of bot/channels: a package, or a module with its `<name>_*.py` parts."""
    entries = [path for path in CHANNELS.iterdir() if not path.name.startswith("_")]
    modules = [path.stem for path in entries if path.suffix == ".py"]
    packages = [path.name for path in entries if (path / "__init__.py").is_file()]
    return sorted({name.split("_")[0] for name in modules} | set(packages))


def test_every_channel_is_in_the_architecture():
    architecture = ARCHITECTURE.read_text()
    assert channels(), "no channel found: has bot/channels moved?"
    for name in channels():
        assert f"`bot/channels/{name}" in architecture, f"channel {name} is not in {ARCHITECTURE}"


def test_every_intent_is_in_the_architecture():
    architecture = ARCHITECTURE.read_text()
    intents = yaml.safe_load((ROOT / "domain.yml").read_text())["intents"]
    missing = [intent for intent in intents if f"`{intent}`" not in architecture]
    assert not missing, f"intents missing from {ARCHITECTURE}: {missing}"


def procedures_table(catalogue: Catalogue) -> str:
    """Every procedure in menu order: its id, intent, category, English title, sources."""
    rows = [
        "| procedure | intent | menu category | title | sources |",
        "|---|---|---|---|---:|",
    ]
    for category in catalogue.menu:
        for procedure in (catalogue.procedures[pid] for pid in category.procedures):
            rows.append(
                f"| `{procedure.id}` | `{procedure.intent}` | {category.title.in_('en')} "
                f"| {procedure.title.in_('en')} | {len(procedure.sources)} |"
            )
    return "\n".join(rows) + "\n"


def sources_page(catalogue: Catalogue) -> str:
    """docs/sources.md: the official pages every procedure's and glossary term's facts
    come from."""
    lines = [
        "# Where the facts come from",
        "",
        "Every procedure file of `content/procedures/` lists the official pages its facts",
        "come from (`sources`) and the day someone last checked them (`checked_on`). This",
        "page gathers them, in the order of the topic menu. It is made from those files:",
        "`.venvs/hub/bin/python -m tests.unit.test_docs` writes it again, and",
        "`tests/unit/test_docs.py` fails while it is out of date. To change a source, edit",
        "the procedure file, never this page.",
    ]
    for category in catalogue.menu:
        for procedure in (catalogue.procedures[pid] for pid in category.procedures):
            lines += [
                "",
                f"## {procedure.title.in_('en')} (`{procedure.id}`)",
                "",
                f"`content/procedures/{procedure.id}.yml`, checked on "
                f"{procedure.checked_on.isoformat()}:",
                "",
                *(f"- <{url}>" for url in procedure.sources),
            ]
    lines += [
        "",
        "## Glossary (`content/glossary.yml`)",
        "",
        "The words Loket explains (CPAS, C4, itsme...), each with the pages its explanation",
        "comes from; the file's header says when they were checked.",
    ]
    for term in catalogue.glossary.values():
        lines += ["", f"### `{term.id}`", "", *(f"- <{url}>" for url in term.sources)]
    lines += [
        "",
        "## The communes' contacts (`content/communes.yml`)",
        "",
        "Each commune's phone number, address and website, as these pages give them;",
        "what no official page gave is left out.",
    ]
    for commune in catalogue.communes:
        contact = commune.contact
        lines += ["", f"### {commune.name.in_('fr')} (`{commune.id}`)", ""]
        if contact is None:
            lines.append("No official page found yet.")
        else:
            lines += [
                f"Checked on {contact.checked_on.isoformat()}:",
                "",
                *(f"- <{url}>" for url in contact.sources),
            ]
    return "\n".join(lines) + "\n"


def written_docs() -> dict[Path, str]:
    """What the generated parts of the docs say, from the catalogue as it is now."""
    catalogue = load_catalogue(ROOT / "content")
    architecture = PROCEDURES.sub(
        lambda found: found[1] + procedures_table(catalogue) + found[2],
        ARCHITECTURE.read_text(),
    )
    return {ARCHITECTURE: architecture, SOURCES: sources_page(catalogue)}


@pytest.mark.parametrize("path", [ARCHITECTURE, SOURCES], ids=lambda path: path.name)
def test_the_procedures_listed_in_the_docs_are_the_catalogues(path: Path):
    assert PROCEDURES.search(ARCHITECTURE.read_text()), "the procedures markers are gone"
    expected = written_docs()[path]
    assert path.exists() and path.read_text() == expected, f"{path} is out of date: {REWRITE}"


@pytest.mark.parametrize(
    "path", [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_the_docs_send_nobody_outside_the_repository(path: Path):
    text = path.read_text()
    assert "shared/" not in text and "fact base" not in text, f"{path.name} points outside"


if __name__ == "__main__":
    for doc, text in written_docs().items():
        doc.write_text(text)
        print(f"Wrote {doc.relative_to(ROOT)}")
