"""Durable dialogue state: Rasa keeps its trackers in SQL, so a person in the middle of
a procedure continues where they were after the Rasa server is killed and restarted."""

from __future__ import annotations

import asyncio
import signal

import pytest

from actions.catalogue import Catalogue, default_content_dir, load_catalogue
from bot.brain import BrainClient
from bot.launcher import Child, wait_until_ready
from bot.settings import Settings
from tests.integration.test_conversations import ASK, NEXT, Person, expect_step

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(default_content_dir())


async def kill_and_wait_for_restart(rasa: Child, settings: Settings) -> None:
    """SIGKILL the Rasa server (no chance to save anything), then wait until the launcher
    has started a new one and the brain is ready again."""
    old = rasa.process
    assert old is not None and old.returncode is None
    old.send_signal(signal.SIGKILL)
    await asyncio.wait_for(old.wait(), 10)
    client = BrainClient(settings)
    try:
        for _ in range(60):  # the launcher starts a new one after RESTART_DELAY
            if rasa.process is not old:
                break
            await asyncio.sleep(0.5)
        assert rasa.process is not old, "the launcher did not restart Rasa"
        readiness = await wait_until_ready(client, settings.brain_start_timeout)
        assert readiness.ready, f"the brain did not come back: {readiness}"
    finally:
        await client.close()


@pytest.mark.parametrize("language", ["en"])
async def test_a_rasa_restart_continues_the_procedure_where_it_was(
    live_hub, real_brain, brain_settings, catalogue, language
):
    procedure = catalogue.procedures["lost-eid"]
    person = Person(live_hub)
    expect_step(await person.say(ASK["lost-eid"][language]), procedure, 1, language)
    expect_step(await person.say(NEXT[language]), procedure, 2, language)

    (rasa,) = [child for child in real_brain if child.spec.name == "rasa"]
    await kill_and_wait_for_restart(rasa, brain_settings)
    assert (brain_settings.data_dir / "rasa-trackers.sqlite3").is_file()

    expect_step(await person.say(NEXT[language]), procedure, 3, language)
    assert person.answer["language"] == language
