"""Two Rasa servers behind the hub (issue 14, parts 2 and 4): the same model, one tracker
store in a fresh PostgreSQL database, Rasa's Redis lock store under a prefix of the test's
own, one action server. A person's messages go to each server in turn and keep their
place in the procedure; a server killed mid-procedure loses nothing."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.webchat import service_key
from bot.launcher import Child, brain_processes
from bot.settings import Settings
from tests.conftest import REDIS_URL, free_port, reachable_redis, redis_prefix
from tests.databases import fresh_postgres_database
from tests.integration.conftest import running
from tests.integration.test_conversations import ASK, CATALOGUE, NEXT, Person, expect_step

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
async def replica_settings(
    brain_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Settings]:
    """The hub's settings: both Rasa servers (A first), a fresh PostgreSQL database for the
    hub and Rasa's trackers, the test Redis under a prefix of its own; ports of its own."""
    await (await reachable_redis()).aclose()
    async with fresh_postgres_database() as database:
        yield brain_settings.model_copy(
            update={
                "data_dir": tmp_path_factory.mktemp("rasa-replicas"),
                "database_url": database,
                "redis_url": REDIS_URL,
                "redis_prefix": redis_prefix(),
                "rasa_urls": ",".join(f"http://127.0.0.1:{free_port()}" for _ in "AB"),
                "action_server_url": f"http://127.0.0.1:{free_port()}",
            }
        )


def alone(settings: Settings, rasa_url: str) -> Settings:
    """`settings` with one Rasa server: `rasa_url` (which `loket run` would start)."""
    return settings.model_copy(update={"rasa_url": rasa_url, "rasa_urls": ""})


@pytest.fixture(scope="module")
async def two_rasa(replica_settings: Settings, model: Path) -> AsyncIterator[dict[str, Child]]:
    """Rasa servers A and B and one action server, started at once as `loket run` starts
    them (by name: "rasa-a", "rasa-b", "actions"), once both servers are ready."""
    at_a, at_b = (alone(replica_settings, url) for url in replica_settings.rasa_servers)
    actions, rasa_a = brain_processes(at_a, model)
    [rasa_b] = [spec for spec in brain_processes(at_b, model) if spec.name == "rasa"]
    specs = [actions, replace(rasa_a, name="rasa-a"), replace(rasa_b, name="rasa-b")]
    async with running(specs, at_a, at_b) as children:
        yield {child.spec.name: child for child in children}


@pytest.fixture(scope="module")
async def hub(replica_settings: Settings, two_rasa: dict[str, Child]) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(replica_settings))) as client:
        yield client


def answered_by(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The Rasa server that answered each message, in order (the brain client's log)."""
    return [
        str(record.args[0])
        for record in caplog.records
        if record.name == "bot.brain" and record.msg == "Rasa at %s answered" and record.args
    ]


async def kill(rasa: Child) -> None:
    """SIGKILL a Rasa server (no chance to save anything), not started again."""
    assert rasa.process is not None and rasa.process.returncode is None
    rasa.stopping = True  # the launcher would restart it: here it stays down
    rasa.process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(rasa.process.wait(), 10)


async def test_a_person_served_in_turn_by_two_rasa_servers_loses_nothing_when_one_dies(
    hub: TestClient,
    two_rasa: dict[str, Child],
    replica_settings: Settings,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG, logger="bot.brain")
    a, b = replica_settings.rasa_servers
    procedure = CATALOGUE.procedures["lost-eid"]
    person = Person(hub)

    expect_step(await person.say(ASK["lost-eid"]["en"]), procedure, 1, "en")
    for n in (2, 3, 4):
        expect_step(await person.say(NEXT["en"]), procedure, n, "en")
    assert answered_by(caplog) == [a, b, a, b]  # each message to the next server in turn

    await kill(two_rasa["rasa-a"])
    for n in (5, 6):  # the first on A's turn: B answers, without a holding reply
        expect_step(await person.say(NEXT["en"]), procedure, n, "en")
    assert answered_by(caplog)[4:] == [b, b]
    assert await hub.server.app[service_key].store.pending(person.id) == []
