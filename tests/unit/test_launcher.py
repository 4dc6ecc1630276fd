"""`loket run` starts the brain with arguments Rasa reads as meant, quietly unless asked."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.launcher import Child, ChildSpec, brain_processes, python_module
from bot.settings import ROOT, Settings
from nlu.rasa_server import TOKEN_VARIABLE, rasa_run_argv
from tests.conftest import REDIS_URL
from tests.waiting import eventually

AIOHTTP_KEEPALIVE_SECONDS = 15.0  # aiohttp's BaseConnector default keepalive_timeout
QUIET = {"LOG_LEVEL_LIBRARIES": "ERROR", "TF_CPP_MIN_LOG_LEVEL": "3"}


def children(verbose: bool = False) -> dict[str, ChildSpec]:
    settings = Settings(rasa_token=SecretStr("token"), _env_file=None)
    return {spec.name: spec for spec in brain_processes(settings, Path("model.tar.gz"), verbose)}


def rasa_spec(settings: Settings) -> ChildSpec:
    """How `loket run` starts Rasa with these settings."""
    [rasa] = [p for p in brain_processes(settings, Path("model.tar.gz")) if p.name == "rasa"]
    return rasa


def test_the_rasa_token_is_not_in_the_process_list():
    settings = Settings(rasa_token=SecretStr("-abc_def"), _env_file=None)
    rasa = rasa_spec(settings)
    assert not any("abc_def" in arg for arg in rasa.argv)
    assert rasa.env[TOKEN_VARIABLE] == "-abc_def"


def test_a_token_starting_with_a_dash_reaches_rasa_as_the_tokens_value():
    # secrets.token_urlsafe() starts with "-" once in 64 starts: Rasa refused to start then.
    argv = rasa_run_argv(["--enable-api"], "-abc_def")
    assert argv == ["rasa", "run", "--enable-api", "--auth-token=-abc_def"]


def test_the_brains_servers_keep_idle_connections_longer_than_their_clients():
    # aiohttp (the hub's client of Rasa, Rasa's of the action server) keeps an idle
    # connection 15 s by default; a server that closed it sooner would race the next request.
    for spec in children().values():
        assert float(spec.env["SANIC_KEEP_ALIVE_TIMEOUT"]) > AIOHTTP_KEEPALIVE_SECONDS, spec.name


def test_the_brain_starts_quietly_by_default():
    for spec in children().values():
        assert "--quiet" in spec.argv, spec.name
        assert QUIET.items() <= spec.env.items(), spec.name
        assert "warnings.showwarning" in spec.argv[2], spec.name


def test_verbose_runs_the_same_modules_with_their_warnings():
    quiet, verbose = children(), children(verbose=True)
    for name, module in (("rasa", "nlu.rasa_server"), ("actions", "rasa_sdk")):
        assert f"runpy.run_module({module!r}" in verbose[name].argv[2], name
        assert "warnings.showwarning" not in verbose[name].argv[2], name
        assert [arg for arg in quiet[name].argv[3:] if arg != "--quiet"] == verbose[name].argv[3:]


def test_verbose_lets_the_brain_say_everything(monkeypatch: pytest.MonkeyPatch):
    for name in QUIET:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")  # what the brain gets in any case

    for spec in children(verbose=True).values():
        assert "--quiet" not in spec.argv, spec.name
        assert "LOG_LEVEL_LIBRARIES" not in spec.env
        assert spec.env["TF_CPP_MIN_LOG_LEVEL"] == "2"


class Exited(logging.Handler):
    """Notes the launcher's "exited with code" record: the child ran to its end."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "exited with code" in record.getMessage():
            self.seen.set()


async def shown_by(child: Child) -> None:
    """Supervise `child` until its process has ended once, then stop."""
    exited = Exited()
    logging.getLogger("loket").addHandler(exited)
    supervisor = asyncio.create_task(child.keep_running())
    try:
        await asyncio.wait_for(exited.seen.wait(), timeout=60)
    finally:
        logging.getLogger("loket").removeHandler(exited)
        await child.stop()
        supervisor.cancel()


# Like Sanic, it asks for its warnings to be shown, whatever PYTHONWARNINGS says.
GRUMPY_LIBRARY = """
import warnings
warnings.filterwarnings("once", category=DeprecationWarning)
warnings.warn("a library grumbles", DeprecationWarning)
raise RuntimeError("broken")
"""


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
async def test_a_crash_is_never_silent_and_warnings_show_only_when_verbose(
    verbose: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / "grumpy.py").write_text(GRUMPY_LIBRARY)
    env = children(verbose)["actions"].env | {"PYTHONPATH": str(tmp_path)}
    argv = python_module(Path(sys.executable), "grumpy", verbose)

    await shown_by(Child(ChildSpec("actions", argv, env)))

    shown = capsys.readouterr().err
    assert "[actions] Traceback (most recent call last):" in shown
    assert "[actions] RuntimeError: broken" in shown
    assert ("a library grumbles" in shown) is verbose


# A hub that starts one brain process the way `loket run` does, and says its number.
HUB_WITH_A_CHILD = """
import subprocess, sys, time
from pathlib import Path
from bot.launcher import python_module
argv = python_module(Path(sys.executable), "forever", verbose=False)
print(subprocess.Popen(argv, stdout=subprocess.DEVNULL).pid, flush=True)
time.sleep(600)
"""
FOREVER = "import pathlib, time\npathlib.Path('running').touch()\ntime.sleep(600)\n"


def has_ended(pid: int) -> bool:
    """Whether process `pid` has ended (a zombie, not yet reaped, has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal")
async def test_a_hub_killed_outright_leaves_no_brain_process_behind(tmp_path: Path):
    """The out-of-memory killer or a SIGKILL gives the hub no chance to stop its children:
    they end with it anyway, and do not keep the ports its restart needs."""
    (tmp_path / "forever.py").write_text(FOREVER)
    hub = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HUB_WITH_A_CHILD,
        cwd=tmp_path, env={"PYTHONPATH": f"{ROOT}:{tmp_path}"}, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert hub.stdout is not None
    try:
        child = int(await hub.stdout.readline())
        await eventually(lambda: (tmp_path / "running").exists())  # past the parent check
    finally:
        hub.kill()
        await hub.wait()
    try:
        await eventually(lambda: has_ended(child), failure="the child outlived the hub")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


# Rasa reads endpoints.yml's `lock_store` as `rasa run` does, takes a lock and keeps it.
RASA_LOCK_STORE = """
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import read_endpoint_config
store = LockStore.create(read_endpoint_config("endpoints.yml", "lock_store"))
store.save_lock(store.create_lock("conversation-1"))
print(type(store).__name__)
"""


def rasa_lock_store(settings: Settings) -> str:
    """The lock store the Rasa of `loket run` makes of endpoints.yml, with its environment."""
    rasa = rasa_spec(settings)
    done = subprocess.run(
        [rasa.argv[0], "-c", RASA_LOCK_STORE],
        cwd=ROOT, env=rasa.env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return done.stdout.split()[-1]


def test_one_rasa_server_keeps_its_locks_in_memory_without_redis():
    settings = Settings(redis_url="", _env_file=None)

    assert rasa_lock_store(settings) == "InMemoryLockStore"


@pytest.mark.redis
async def test_with_redis_rasa_servers_share_their_locks_apart_from_the_hubs(redis, prefix):
    settings = Settings(redis_url=REDIS_URL, redis_prefix=prefix, _env_file=None)

    assert rasa_lock_store(settings) == "RedisLockStore"

    this_loket = prefix.replace("-", "").removesuffix(":")  # Rasa's: letters and digits
    [key] = [key.decode() for key in await redis.keys(f"{this_loket}*")]
    await redis.delete(key)
    assert key.endswith("conversation-1")
    assert not key.startswith(prefix)  # every key of the hub's starts so (bot/conversations)


def test_rasa_reaches_redis_as_the_hub_does_without_its_password_in_the_process_list():
    settings = Settings(redis_url="redis://loket:s%40cret@redis.internal:6380/2", _env_file=None)
    rasa = rasa_spec(settings)

    assert {
        "LOKET_RASA_LOCK_STORE_HOST": "redis.internal",
        "LOKET_RASA_LOCK_STORE_PORT": "6380",
        "LOKET_RASA_LOCK_STORE_DB": "2",
        "LOKET_RASA_LOCK_STORE_USERNAME": "loket",
        "LOKET_RASA_LOCK_STORE_PASSWORD": "s@cret",
    }.items() <= rasa.env.items()
    assert not any("cret" in arg for arg in rasa.argv)


def test_redis_over_tls_is_refused_for_rasa_rather_than_used_in_clear():
    settings = Settings(redis_url="rediss://redis.internal:6380/0", _env_file=None)

    with pytest.raises(ValueError, match="redis://"):
        brain_processes(settings, Path("model.tar.gz"))
