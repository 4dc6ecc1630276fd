"""The real brain for integration tests: a model trained once per change of its inputs
(shared with `make run` through the fingerprint cache), the Rasa server and the action
server on free localhost ports, and a hub in front of them."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.app import create_app
from bot.brain import BrainClient
from bot.launcher import Child, ChildSpec, brain_processes, wait_until_ready
from bot.settings import Settings
from bot.training import ensure_model
from tests.conftest import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def brain_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("hub"),
        database_url="",
        rasa_url=f"http://127.0.0.1:{free_port()}",
        action_server_url=f"http://127.0.0.1:{free_port()}",
        rasa_token=SecretStr(secrets.token_urlsafe(16)),
        brain_timeout=30.0,  # a cold Rasa answers its first messages slowly
        rate_limit_per_minute=10_000,
        rate_limit_per_conversation_per_minute=10_000,
        _env_file=None,
    )


@pytest.fixture(scope="session")
def model(brain_settings: Settings) -> Path:
    return ensure_model(brain_settings)


@contextlib.asynccontextmanager
async def running(specs: list[ChildSpec], *ready: Settings) -> AsyncIterator[list[Child]]:
    """The brain's processes `specs`, supervised as `loket run` does (all started at once),
    once the brain each of `ready` names is ready; stopped afterwards."""
    children = [Child(spec) for spec in specs]
    tasks = [asyncio.create_task(child.keep_running()) for child in children]
    try:
        for settings in ready:
            client = BrainClient(settings)
            readiness = await wait_until_ready(client, settings.brain_start_timeout)
            await client.close()
            assert readiness.ready, f"the brain did not start: {readiness}"
        yield children
    finally:
        await asyncio.gather(*(child.stop() for child in children))
        for task in tasks:
            task.cancel()


@pytest.fixture(scope="session")
async def real_brain(brain_settings: Settings, model: Path) -> AsyncIterator[list[Child]]:
    """The Rasa server and the action server, started as `loket run` starts them."""
    async with running(brain_processes(brain_settings, model), brain_settings) as children:
        yield children


@pytest.fixture(scope="session")
async def live_hub(brain_settings: Settings, real_brain: list[Child]) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(brain_settings))) as client:
        yield client
