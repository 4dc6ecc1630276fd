"""The README stays true: every setting the hub reads is in its configuration table."""

from __future__ import annotations

from pathlib import Path

from bot.settings import ROOT, Settings


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        variable = "DATABASE_URL" if name == "database_url" else f"LOKET_{name.upper()}"
        assert f"| `{variable}` |" in readme, f"{variable} is missing from the README table"


def test_the_readme_shows_the_two_commands():
    readme = Path(ROOT / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme
