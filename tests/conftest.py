"""Shared fixtures: settings in a temporary directory, a fake brain, a hub client."""

from __future__ import annotations

import os
import random
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.app import create_app
from bot.settings import Settings
from tests.fakes import FakeBrain, reserve_port
from tests.twilio_standin import TwilioStandIn

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
REDIS_URL = os.environ.get("LOKET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# The stand-in brain answers in milliseconds, but a test worker on a shared machine can
# be kept off the CPU for a second or more: a tight wait would turn that into a holding
# reply. Tests of a slow brain mark the wait they need, e.g. @pytest.mark.brain_timeout(1).
BRAIN_TIMEOUT_SECONDS = 10.0


_PORTS_GIVEN: set[int] = set()  # by free_port in this process: each only once


def free_port() -> int:
    """A free TCP port for a server that another process starts later (Rasa).

    Taken below the range the system gives outgoing connections, so none of those can
    take it in the seconds before the server listens (port 0 would pick inside it). Each
    test worker takes from a share of its own, and never the same port twice: a port is
    only free until its server listens, and the Rasa server and the action server of one
    test were once given the same one.
    """
    low = int(EPHEMERAL_RANGE.read_text().split()[0]) if EPHEMERAL_RANGE.exists() else 32768
    share = _worker_share(range(max(1024, low - 12000), low))
    for port in random.sample(share, min(200, len(share))):
        if port in _PORTS_GIVEN:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _PORTS_GIVEN.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


def _worker_share(ports: range) -> range:
    """This pytest-xdist worker's part of `ports` (all of them without workers)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return ports[int(worker.removeprefix("gw")) % workers :: workers]


@pytest.fixture
def brain_socket() -> Iterator[socket.socket]:
    """The stand-in brain's port, held for the whole test (nothing listens until `brain`)."""
    bound = reserve_port()
    yield bound
    bound.close()


@pytest.fixture
def brain_port(brain_socket: socket.socket) -> int:
    return brain_socket.getsockname()[1]


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, brain_port: int) -> Settings:
    marker = request.node.get_closest_marker("brain_timeout")
    return Settings(
        data_dir=tmp_path,
        database_url="",
        rasa_url=f"http://127.0.0.1:{brain_port}",
        action_server_url=f"http://127.0.0.1:{brain_port}",
        brain_timeout=marker.args[0] if marker else BRAIN_TIMEOUT_SECONDS,
        rate_limit_per_minute=1000,
        rate_limit_per_conversation_per_minute=1000,
        _env_file=None,
    )


@pytest.fixture
async def brain(brain_socket: socket.socket) -> AsyncIterator[FakeBrain]:
    fake = FakeBrain()
    await fake.start(brain_socket)
    yield fake
    await fake.stop()


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[TestClient]:
    """The hub under test, talking to whatever listens on the brain port (or nothing)."""
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


@pytest.fixture
async def twilio_api() -> AsyncIterator[TwilioStandIn]:
    """Twilio's REST API, standing in on a local port."""
    standin = TwilioStandIn()
    await standin.start()
    yield standin
    await standin.stop()


async def reachable_redis() -> Redis:
    """A client of the test Redis (the test is skipped outside CI if none answers)."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        await client.aclose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")
    return client


def redis_prefix() -> str:
    """A Redis prefix of its own, so a test's events and locks (and Rasa's) are its own."""
    return f"loket-test-{secrets.token_hex(4)}:"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """A client of the test Redis (LOKET_TEST_REDIS_URL, default this machine's)."""
    client = await reachable_redis()
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    """This test's Redis prefix: its events and locks are its own."""
    return redis_prefix()


# Test folders whose tests share one costly process: each runs on one worker, in order.
SHARED_PROCESS_FOLDERS = {"integration": "the real Rasa and action server", "browser": "chromium"}
# Test files in those folders that start processes of their own, so run beside the others.
OWN_PROCESS_FILES = {"tests/integration/test_rasa_replicas.py": "two Rasa servers of its own"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """With test workers (`make test`: `pytest -n 2`, pytest-xdist), the tests of each
    folder in SHARED_PROCESS_FOLDERS go to one worker together, those of each file in
    OWN_PROCESS_FILES too; the others to whichever worker is free. (xdist's own
    `--dist loadgroup` marks lose their group on pytest 9.)"""
    from xdist.scheduler import LoadScopeScheduling

    class SharedProcessScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::")[0]
            folder = path.split("/")[1] if path.startswith("tests/") else ""
            if path in OWN_PROCESS_FILES:
                return path
            return folder if folder in SHARED_PROCESS_FOLDERS else nodeid

    return SharedProcessScheduling(config, log)
