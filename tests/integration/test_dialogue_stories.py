"""`rasa test core` on the dialogue test stories, with the model the other tests use."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from actions.catalogue import default_content_dir, load_catalogue
from bot.settings import ROOT
from bot.training import brain_env, rasa_executable

pytestmark = pytest.mark.integration
STORIES = ROOT / "tests" / "stories"


def intents_of_stories() -> set[str]:
    """Every intent a test story's person expresses."""
    return {
        step["intent"]
        for path in STORIES.glob("*.yml")
        for story in yaml.safe_load(path.read_text(encoding="utf-8")).get("stories", [])
        for step in story["steps"]
        if "intent" in step
    }


def test_every_procedure_has_a_dialogue_story():
    """Each procedure of the catalogue is walked by a story ("walk through proc_...")."""
    walked = intents_of_stories()
    missing = [
        procedure.intent
        for procedure in load_catalogue(default_content_dir()).procedures.values()
        if procedure.intent not in walked
    ]
    assert not missing, f"no story in tests/stories/procedures.yml for {missing}"


def test_every_dialogue_story_passes(brain_settings, model: Path, tmp_path: Path):
    rasa = str(rasa_executable(brain_settings))
    command = [rasa, "test", "core", "--stories", str(STORIES), "--model", str(model)]
    result = subprocess.run(
        [*command, "--out", str(tmp_path), "--no-plot"],
        cwd=ROOT,
        env=brain_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    failed = (tmp_path / "failed_test_stories.yml").read_text()
    assert "story:" not in failed, failed
