"""`loket run`: the whole system in one command.

Starts the action server and the Rasa server (localhost only) as child processes,
then the hub in this process. The hub answers at once, with a holding reply while
the brain is still loading. A child that dies is restarted; Ctrl-C stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import SecretStr

from bot.app import create_app
from bot.brain import BrainClient, Readiness
from bot.console.accounts import ensure_demo_agent
from bot.redact import redact
from bot.settings import ROOT, Settings
from bot.training import brain_env, ensure_model, rasa_executable

log = logging.getLogger("loket")
RESTART_DELAY = 3.0
STOP_GRACE = 10.0


@dataclass(frozen=True)
class ChildSpec:
    """A brain process: its name (log prefix) and command line."""

    name: str
    argv: list[str]
    env: dict[str, str]


def brain_processes(settings: Settings, model: Path) -> list[ChildSpec]:
    """The action server and the Rasa server, both bound to localhost."""
    rasa = rasa_executable(settings)
    python = rasa.parent / "python"
    env = brain_env() | {
        "LOKET_ACTION_ENDPOINT": f"{settings.action_server_url}/webhook",
        # Trackers outlive a Rasa restart (endpoints.yml); in the environment, not on the
        # command line, so a database password is not in the process list.
        "LOKET_RASA_TRACKER_STORE": settings.rasa_tracker_store,
    }
    return [
        ChildSpec(
            "actions",
            [str(python), "-m", "rasa_sdk", "--actions", "actions",
             "--port", str(urlsplit(settings.action_server_url).port or 5055)],
            env,
        ),
        ChildSpec(
            "rasa",
            [str(rasa), "run", "--model", str(model), "--enable-api",
             # One argument: a random token may start with "-", which argparse takes
             # for an option.
             f"--auth-token={settings.rasa_token.get_secret_value()}",
             "--interface", "127.0.0.1", "--port", str(urlsplit(settings.rasa_url).port or 5005),
             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
            env,
        ),
    ]  # fmt: skip


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
        if time.monotonic() - last_note >= 15:
            waiting = [
                name
                for name, ok in (("Rasa model", readiness.model_loaded),
                                 ("action server", readiness.action_server))
                if not ok
            ]  # fmt: skip
            log.info("Still waiting for: %s", ", ".join(waiting))
            last_note = time.monotonic()
    return readiness


async def run(settings: Settings, model: Path, demo_agent: tuple[str, str] | None = None) -> None:
    """Run the brain and the hub until SIGINT or SIGTERM; `demo_agent` is announced."""
    children = [Child(spec) for spec in brain_processes(settings, model)]
    supervisors = [asyncio.create_task(child.keep_running()) for child in children]
    brain = BrainClient(settings)
    runner = web.AppRunner(create_app(settings, brain=brain), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    log.info("Hub listening on %s:%d; loading the brain...", settings.host, settings.port)
    stop = _stop_event()
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
    await runner.cleanup()
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
    if readiness.ready:
        log.info("Brain ready in %.0f s.", seconds)
        log.info("Loket is running. Web chat: %s  (Ctrl-C to stop)", settings.web_chat_url)
    else:
        log.error(
            "The brain is not ready after %.0f s (model loaded: %s, action server: %s). "
            "The web chat (%s) answers with a holding reply until it is.",
            seconds, readiness.model_loaded, readiness.action_server, settings.web_chat_url,
        )  # fmt: skip


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def start(settings: Settings, force_train: bool = False) -> None:
    """Train if needed, then run everything (blocking)."""
    model = ensure_model(settings, force=force_train)
    if not settings.rasa_token.get_secret_value():
        settings = settings.model_copy(update={"rasa_token": SecretStr(secrets.token_urlsafe(24))})
    asyncio.run(run(settings, model, ensure_demo_agent(settings)))
