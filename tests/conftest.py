"""Shared fixtures: settings in a temporary directory, a fake brain, a hub client."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import Settings
from tests.fakes import FakeBrain


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def brain_port() -> int:
    return free_port()


@pytest.fixture
def settings(tmp_path: Path, brain_port: int) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url="",
        rasa_url=f"http://127.0.0.1:{brain_port}",
        action_server_url=f"http://127.0.0.1:{brain_port}",
        brain_timeout=1.0,
        rate_limit_per_minute=1000,
        _env_file=None,
    )


@pytest.fixture
async def brain(brain_port: int) -> AsyncIterator[FakeBrain]:
    fake = FakeBrain()
    await fake.start(brain_port)
    yield fake
    await fake.stop()


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[TestClient]:
    """The hub under test, talking to whatever listens on the brain port (or nothing)."""
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client
