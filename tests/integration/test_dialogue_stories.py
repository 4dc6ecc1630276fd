"""`rasa test core` on the dialogue test stories, with the model the other tests use."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.settings import ROOT
from bot.training import brain_env, rasa_executable

pytestmark = pytest.mark.integration


def test_every_dialogue_story_passes(brain_settings, model: Path, tmp_path: Path):
    rasa = str(rasa_executable(brain_settings))
    command = [rasa, "test", "core", "--stories", "tests/stories", "--model", str(model)]
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
