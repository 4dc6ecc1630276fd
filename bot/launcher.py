"""`loket run`: the whole system in one command.

Starts the action server and the Rasa server (localhost only) as child processes,
then the hub in this process. The hub answers at once, with a holding reply while
the brain is still loading. A child that dies is restarted; Ctrl-C stops everything.

A start is quiet: the terminal shows what runs where and what is missing, and the
children's errors (a crash is never silent), not their progress messages nor the
warnings of the libraries they use. `loket run --verbose` shows everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from bot import serving
from bot.app import create_app
from bot.brain import BrainClient, Readiness
from bot.console.accounts import ensure_demo_agent
from bot.redact import redact
from bot.settings import ROOT, Settings
from bot.training import brain_env, ensure_model, rasa_executable
from nlu.rasa_server import TOKEN_VARIABLE

log = logging.getLogger("loket")
RESTART_DELAY = 3.0
STOP_GRACE = 10.0
STILL_WAITING_EVERY = 30.0  # seconds between "Still waiting for..." while the brain loads
# The brain's processes, quiet: Rasa's and rasa-sdk's own messages from WARNING up (their
# --quiet flag), the libraries they use (Sanic, SQLAlchemy, APScheduler...) from ERROR up
# (Rasa's LOG_LEVEL_LIBRARIES), TensorFlow's C++ messages from FATAL up. Errors and
# tracebacks still come through.
QUIET_ENV = {"LOG_LEVEL_LIBRARIES": "ERROR", "TF_CPP_MIN_LOG_LEVEL": "3"}
QUIET_FLAGS = ["--quiet"]
# The hub's own libraries that narrate at INFO: Alembic tells each migration step.
QUIET_LOGGERS = ("alembic",)
# And no Python warnings: they speak to the authors of Rasa's dependencies (deprecations),
# not to whoever runs Loket. PYTHONWARNINGS=ignore is not enough: Sanic and Rasa add
# their own filters as they are imported ("once" for DeprecationWarning, UserWarning),
# which outrank it. So a quiet child runs its module with warnings shown nowhere.
WITHOUT_WARNINGS = "import warnings; warnings.showwarning = lambda *args, **kwargs: None; "
# A child ends with the process that started it. When the hub dies without stopping its
# children (SIGKILL, the out-of-memory killer, a test run cut short), Linux sends them
# SIGTERM (PR_SET_PDEATHSIG, prctl option 1), so no orphan keeps the ports a restarted hub
# needs. The parent is checked after, in case it died before the child asked.
WITH_PARENT = (
    "import ctypes, os, signal, sys; "
    "sys.platform != 'linux' or ctypes.CDLL(None).prctl(1, int(signal.SIGTERM)); "
    "os.getppid() == {parent} or sys.exit('the process that started this one has ended'); "
)
RUN_MODULE = "import runpy; runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"


@dataclass(frozen=True)
class ChildSpec:
    """A brain process: its name (log prefix) and command line."""

    name: str
    argv: list[str]
    env: dict[str, str]


KEEP_ALIVE_SECONDS = 120
RASA_LOCK_PREFIX_SUFFIX = "rasa"
"""Rasa's lock keys are `<hub prefix, alphanumeric>rasa:lock:<conversation>`: never the hub's."""
REDIS_LOCK_FIELDS = tuple(
    f"LOKET_RASA_LOCK_STORE_{field}"
    for field in ("HOST", "PORT", "DB", "USERNAME", "PASSWORD", "PREFIX")
)


def rasa_lock_store_env(settings: Settings) -> dict[str, str]:
    """The variables of endpoints.yml's `lock_store`: Redis (from `redis_url`) when hubs share
    one, so that Rasa servers on one tracker store take a conversation's messages one at a
    time; else Rasa's in-memory lock store (one Rasa server), the Redis fields left empty.

    Rasa's Redis lock store takes a host, a port, a database and credentials, not a URL,
    and a key prefix of letters and digits only.
    """
    if not settings.redis_url:
        return {"LOKET_RASA_LOCK_STORE": "in_memory"} | dict.fromkeys(REDIS_LOCK_FIELDS, "")
    url = urlsplit(settings.redis_url)
    if url.scheme != "redis":
        # endpoints.yml gives Rasa's lock store no TLS: refused rather than sent in clear.
        raise ValueError(f"Rasa's Redis lock store needs a redis:// URL, not {url.scheme}://")
    return {
        "LOKET_RASA_LOCK_STORE": "redis",
        "LOKET_RASA_LOCK_STORE_HOST": url.hostname or "localhost",
        "LOKET_RASA_LOCK_STORE_PORT": str(url.port or 6379),
        "LOKET_RASA_LOCK_STORE_DB": url.path.strip("/") or "0",
        "LOKET_RASA_LOCK_STORE_USERNAME": unquote(url.username or ""),
        "LOKET_RASA_LOCK_STORE_PASSWORD": unquote(url.password or ""),
        "LOKET_RASA_LOCK_STORE_PREFIX": "".join(filter(str.isalnum, settings.redis_prefix))
        + RASA_LOCK_PREFIX_SUFFIX,
    }


def brain_processes(settings: Settings, model: Path, verbose: bool = False) -> list[ChildSpec]:
    """The action server and the Rasa server, both bound to localhost; quiet unless `verbose`."""
    python = rasa_executable(settings).parent / "python"
    settings.data_dir.mkdir(parents=True, exist_ok=True)  # Rasa's default tracker store is there
    env = brain_env() | {
        "LOKET_ACTION_ENDPOINT": f"{settings.action_server_url}/webhook",
        # Trackers outlive a Rasa restart (endpoints.yml); in the environment, not on the
        # command line, so a database password is not in the process list.
        "LOKET_RASA_TRACKER_STORE": settings.rasa_tracker_store,
        **rasa_lock_store_env(settings),
        # Both servers are Sanic, which closes an idle connection after 5 s; their clients
        # (the hub's aiohttp, Rasa's to the action server) keep one up to 15 s and then
        # write to a socket being closed ("Cannot write to closing transport": a lost
        # action, a held message). Servers that wait longer than their clients close first.
        # rasa-sdk later made the same change (RasaHQ/rasa-sdk#1047).
        "SANIC_KEEP_ALIVE_TIMEOUT": str(KEEP_ALIVE_SECONDS),
    }
    quiet = [] if verbose else QUIET_FLAGS
    if not verbose:
        env |= QUIET_ENV
    return [
        ChildSpec(
            "actions",
            [*python_module(python, "rasa_sdk", verbose), "--actions", "actions",
             "--port", str(urlsplit(settings.action_server_url).port or 5055), *quiet],
            env,
        ),
        ChildSpec(
            "rasa",
            # `rasa run`, its token passed in the environment: not in the process list.
            [*python_module(python, "nlu.rasa_server", verbose), "--model", str(model),
             "--enable-api",
             "--interface", "127.0.0.1", "--port", str(urlsplit(settings.rasa_url).port or 5005),
             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", *quiet],
            env | {TOKEN_VARIABLE: settings.rasa_token.get_secret_value()},
        ),
    ]  # fmt: skip


def python_module(python: Path, module: str, verbose: bool) -> list[str]:
    """The start of a command line that runs `python -m module` as a child of this process:
    it ends when this process does, and shows no warnings unless `verbose`."""
    quiet = "" if verbose else WITHOUT_WARNINGS
    code = WITH_PARENT.format(parent=os.getpid()) + quiet + RUN_MODULE.format(module=module)
    return [str(python), "-c", code]


class Child:
    """One supervised child process; its output is redacted and prefixed with its name."""

    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec
        self.process: asyncio.subprocess.Process | None = None
        self.stopping = False

    async def keep_running(self) -> None:
        """Start the process and start it again whenever it dies, until stop()."""
        while not self.stopping:
            self.process = await asyncio.create_subprocess_exec(
                *self.spec.argv,
                cwd=ROOT,
                env=self.spec.env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us; we stop the children in order
            )
            await self._pump_output()
            code = await self.process.wait()
            if not self.stopping:
                log.error("%s exited with code %s; restarting it", self.spec.name, code)
                await asyncio.sleep(RESTART_DELAY)

    async def _pump_output(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for line in self.process.stdout:
            text = redact(line.decode(errors="replace").rstrip())
            if text:
                sys.stderr.write(f"[{self.spec.name}] {text}\n")

    async def stop(self) -> None:
        """Ask the process to stop; kill it if it has not after a grace period."""
        self.stopping = True
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), STOP_GRACE)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def wait_until_ready(brain: BrainClient, timeout: float) -> Readiness:
    """Poll the brain until it is ready, telling the person at the terminal what is awaited."""
    started = time.monotonic()
    readiness = await brain.readiness()
    last_note = started
    while not readiness.ready and time.monotonic() - started < timeout:
        await asyncio.sleep(1.0)
        readiness = await brain.readiness()
        if time.monotonic() - last_note >= STILL_WAITING_EVERY:
            waiting = [
                name
                for name, ok in (("Rasa model", readiness.model_loaded),
                                 ("action server", readiness.action_server))
                if not ok
            ]  # fmt: skip
            log.info("Still waiting for: %s", ", ".join(waiting))
            last_note = time.monotonic()
    return readiness


async def run(
    settings: Settings,
    model: Path,
    demo_agent: tuple[str, str] | None = None,
    verbose: bool = False,
) -> None:
    """Run the brain and the hub until SIGINT or SIGTERM; `demo_agent` is announced."""
    children = [Child(spec) for spec in brain_processes(settings, model, verbose)]
    supervisors = [asyncio.create_task(child.keep_running()) for child in children]
    brain = BrainClient(settings)
    runner = await serving.start(create_app(settings, brain=brain), settings.host, settings.port)
    log.info("Hub listening on %s:%d; loading the brain...", settings.host, settings.port)
    stop = serving.stop_requested()
    started = time.monotonic()
    ready_task = asyncio.create_task(wait_until_ready(brain, settings.brain_start_timeout))
    await asyncio.wait(
        [ready_task, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED"
    )
    if ready_task.done():
        _announce(settings, ready_task.result(), time.monotonic() - started, demo_agent)
        await stop.wait()
    ready_task.cancel()
    log.info("Stopping Loket...")
    await serving.stop(runner)
    await asyncio.gather(*(child.stop() for child in children))
    for task in supervisors:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    log.info("Loket stopped.")


def _announce(
    settings: Settings,
    readiness: Readiness,
    seconds: float,
    demo_agent: tuple[str, str] | None = None,
) -> None:
    if demo_agent is not None:
        # print, not log: the password must reach the person at the terminal, not log files.
        name, password = demo_agent
        console = settings.web_chat_url.removesuffix("/chat") + "/agent/"
        print(f"Agent console: {console}  name: {name}  password: {password}", flush=True)
        seed = ".venvs/hub/bin/loket demo seed"
        print(f"Dashboard: {console}dashboard  (a demo week to look at: {seed})", flush=True)
    if readiness.ready:
        log.info(
            "Brain ready in %.0f s: Rasa at %s, action server at %s (this machine only).",
            seconds, settings.rasa_url, settings.action_server_url,
        )  # fmt: skip
        log.info("Loket is running. Web chat: %s  (Ctrl-C to stop)", settings.web_chat_url)
    else:
        log.error(
            "The brain is not ready after %.0f s (model loaded: %s, action server: %s). "
            "The web chat (%s) answers with a holding reply until it is.",
            seconds, readiness.model_loaded, readiness.action_server, settings.web_chat_url,
        )  # fmt: skip


def start(settings: Settings, force_train: bool = False, verbose: bool = False) -> None:
    """Train if needed, then run everything (blocking); `verbose` shows the brain's chatter."""
    model = ensure_model(settings, force=force_train)
    if not verbose:
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    if not settings.rasa_token.get_secret_value():
        settings = settings.model_copy(update={"rasa_token": SecretStr(secrets.token_urlsafe(24))})
    asyncio.run(run(settings, model, ensure_demo_agent(settings), verbose))
