"""`rasa test core` on the dialogue test stories, with the model the other tests use."""

from __future__ import annotations

import aiohttp
import pytest
import yaml

from actions.catalogue import default_content_dir, load_catalogue
from bot.settings import ROOT, Settings

pytestmark = pytest.mark.integration
STORIES = ROOT / "tests" / "stories"


def dialogue_stories() -> list[dict]:
    """Every story of the files in tests/stories, in file order."""
    return [
        story
        for path in sorted(STORIES.glob("*.yml"))
        for story in yaml.safe_load(path.read_text(encoding="utf-8")).get("stories", [])
    ]


def intents_of_stories() -> set[str]:
    """Every intent a test story's person expresses."""
    steps = [step for story in dialogue_stories() for step in story["steps"]]
    return {step["intent"] for step in steps if "intent" in step}


def test_every_procedure_has_a_dialogue_story():
    """Each procedure of the catalogue is walked by a story ("walk through proc_...")."""
    walked = intents_of_stories()
    missing = [
        procedure.intent
        for procedure in load_catalogue(default_content_dir()).procedures.values()
        if procedure.intent not in walked
    ]
    assert not missing, f"no story in tests/stories/procedures.yml for {missing}"


async def test_every_dialogue_story_passes(brain_settings: Settings, real_brain):
    """The stories, tested by the running Rasa server on its model (Rasa's
    /model/test/stories, as `rasa test core` does, without loading the model again)."""
    body = yaml.safe_dump({"version": "3.1", "stories": dialogue_stories()}, allow_unicode=True)
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{brain_settings.rasa_url}/model/test/stories",
            params={"token": brain_settings.rasa_token.get_secret_value()},
            data=body.encode(),
            headers={"Content-Type": "application/x-yaml"},
            timeout=aiohttp.ClientTimeout(total=900),
        ) as response,
    ):
        assert response.status == 200, await response.text()
        evaluation = await response.json()
    wrong = [
        f"{turn['action']} expected, {turn['predicted']} predicted ({turn['policy']})"
        for turn in evaluation["actions"]
        if turn["action"] != turn["predicted"]
    ]
    assert not wrong, wrong
    assert evaluation["accuracy"] == 1.0, evaluation["report"]  # user messages included
