"""Web chat benchmark: the hub in front of Rasa, against Rasa alone, same model, same run.

Starts the brain as the integration tests do (the fingerprinted model, the Rasa server
and the action server on free localhost ports), starts the hub as a separate process
(`bot.cli serve`), then plays scripted conversations in a closed loop (each virtual
user sends its next message only after the answer) against Rasa's REST channel and
against the web chat API, alternating the two targets round by round so that noise
on the machine hits both alike. Writes its section of docs/benchmarks.md and prints it.

    .venvs/hub/bin/python -m benchmarks.web_chat [--seconds 30] [--levels 1 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import os
import platform
import secrets
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiohttp
import psutil
from pydantic import SecretStr

from bot.brain import BrainClient
from bot.launcher import Child, brain_processes, wait_until_ready
from bot.redact import configure_logging
from bot.settings import ROOT, Settings
from bot.training import BrainSetupError, ensure_model, rasa_executable

MEDIAN_GOAL = 1.10  # the hub adds at most 10 % to the median latency
THROUGHPUT_GOAL = 0.90  # and keeps at least 90 % of Rasa's throughput
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=60)
HUB_START_TIMEOUT = 60.0
SETTLE_SECONDS = 1.0  # pause between windows: answers still on their way land first
HOLDING_PREFIXES = ("One moment", "Un instant", "Een ogenblik")  # bot/texts.py
STEP_ONE = {"fr": "Étape 1", "nl": "Stap 1", "en": "Step 1"}
SECTION_START, SECTION_END = "<!-- web_chat:start -->", "<!-- web_chat:end -->"
DOC_INTRO = """# Benchmarks

Measurements of Loket on one machine, written by the scripts in `benchmarks/`.

The web chat benchmark asks what the hub costs: a person in the web chat talks to
the hub, which stores every message and then asks Rasa, so the hub adds waiting time
and uses machine capacity that Rasa could have used. The benchmark plays the same
conversations against Rasa alone and against the hub, in the same run with the same
model, and compares the median and 95th-percentile latency and the throughput. The
goal: the hub adds at most 10 % to the median and keeps at least 90 % of Rasa's
throughput.

Run `make bench` (it runs `.venvs/hub/bin/python -m benchmarks.web_chat`; `--help`
lists the options: `--seconds`, `--levels`, `--rounds`, `--out`). It trains the model
first if its inputs changed, and takes about 3 minutes otherwise. The machine should
be otherwise idle; the figures are comparable within one run, not across machines.

Each script rewrites only its own section of this page, between its
`<!-- name:start -->` and `<!-- name:end -->` markers.
"""


# --- workload -------------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    """What one person types, message after message, in one conversation."""

    language: str
    messages: tuple[str, ...]


SCRIPTS = (
    Script("fr", ("bonjour", "j'ai perdu ma carte d'identité", "suivant", "suivant",
                  "répète", "précédent", "suivant", "merci")),
    Script("nl", ("goeiedag", "ik ben verhuisd, hoe geef ik mijn nieuw adres door",
                  "volgende", "volgende", "kan je dat herhalen", "vorige stap",
                  "volgende", "dank u wel")),
    Script("en", ("hello", "I need a household composition certificate", "next", "next",
                  "can you repeat that", "previous step", "next", "thank you")),
)  # fmt: skip


# --- targets --------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One request's outcome: "ok", "error" or "holding" (the brain timed out)."""

    latency: float
    outcome: str
    finished: float
    texts: tuple[str, ...] = ()


class Target:
    """Something that answers a person's message over HTTP."""

    name = ""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def request(self, conversation_id: str, text: str, language: str) -> tuple[str, dict]:
        """The URL and JSON body that send `text`."""
        raise NotImplementedError

    def texts(self, payload: Any) -> tuple[str, ...] | None:
        """The reply texts in a 200 answer, or None if the answer has the wrong shape."""
        raise NotImplementedError

    def classify(self, texts: tuple[str, ...]) -> str:
        """The outcome of a well-formed answer."""
        return "ok"


class RasaAlone(Target):
    """Rasa's REST channel, called exactly as the hub calls it (bot/brain.py)."""

    name = "rasa"

    def request(self, conversation_id: str, text: str, language: str) -> tuple[str, dict]:
        """POST /webhooks/rest/webhook with the metadata the hub sends."""
        metadata = {"language": language, "channel": "webchat", "spoken": False}
        body = {"sender": conversation_id, "message": text, "metadata": metadata}
        return f"{self.base_url}/webhooks/rest/webhook", body

    def texts(self, payload: Any) -> tuple[str, ...] | None:
        """Rasa answers a list of replies."""
        if not isinstance(payload, list):
            return None
        return tuple(
            str(item["text"]) for item in payload if isinstance(item, dict) and "text" in item
        )


class Hub(Target):
    """The hub's public web chat API."""

    name = "hub"

    def request(self, conversation_id: str, text: str, language: str) -> tuple[str, dict]:
        """POST /api/conversations/{id}/messages."""
        url = f"{self.base_url}/api/conversations/{conversation_id}/messages"
        return url, {"text": text, "language": language}

    def texts(self, payload: Any) -> tuple[str, ...] | None:
        """The hub answers the conversation's summary and its replies."""
        if not isinstance(payload, dict) or not isinstance(payload.get("replies"), list):
            return None
        return tuple(str(reply.get("text", "")) for reply in payload["replies"])

    def classify(self, texts: tuple[str, ...]) -> str:
        """A holding reply means the brain did not answer within the hub's timeout."""
        return "holding" if any(t.startswith(HOLDING_PREFIXES) for t in texts) else "ok"


async def send(
    session: aiohttp.ClientSession, target: Target, conversation_id: str, text: str, language: str
) -> Answer:
    """Send one message and time it until the whole answer is read."""
    url, body = target.request(conversation_id, text, language)
    started = time.perf_counter()
    try:
        async with session.post(url, json=body) as response:
            payload = await response.json(content_type=None) if response.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        payload = None
    latency = time.perf_counter() - started
    texts = target.texts(payload)
    outcome = "error" if texts is None else target.classify(texts)
    return Answer(latency, outcome, time.monotonic(), texts or ())


# --- processes --------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def brain_settings() -> Settings:
    """Settings for this run: free localhost ports and a fresh Rasa token."""
    return Settings(
        database_url="",
        rasa_url=f"http://127.0.0.1:{free_port()}",
        action_server_url=f"http://127.0.0.1:{free_port()}",
        rasa_token=SecretStr(secrets.token_urlsafe(16)),
        brain_timeout=30.0,
        _env_file=None,
    )


@contextlib.asynccontextmanager
async def running_brain(settings: Settings, model: Path) -> AsyncIterator[list[Child]]:
    """The Rasa server and the action server, started as `loket run` starts them."""
    children = [Child(spec) for spec in brain_processes(settings, model)]
    tasks = [asyncio.create_task(child.keep_running()) for child in children]
    try:
        client = BrainClient(settings)
        try:
            readiness = await wait_until_ready(client, settings.brain_start_timeout)
        finally:
            await client.close()
        if not readiness.ready:
            raise RuntimeError(f"the brain did not start: {readiness}")
        yield children
    finally:
        await asyncio.gather(*(child.stop() for child in children))
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@dataclass(frozen=True)
class HubProcess:
    """The hub, running as its own process."""

    url: str
    pid: int


def hub_env(settings: Settings, port: int, data_dir: Path) -> dict[str, str]:
    """The hub's environment: the brain of this run, no rate limit, a throw-away database."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {
        "LOKET_HOST": "127.0.0.1",
        "LOKET_PORT": str(port),
        "LOKET_RASA_URL": settings.rasa_url,
        "LOKET_ACTION_SERVER_URL": settings.action_server_url,
        "LOKET_RASA_TOKEN": settings.rasa_token.get_secret_value(),
        "LOKET_DATA_DIR": str(data_dir),
        "LOKET_DATABASE_URL": "",
        "LOKET_RATE_LIMIT_PER_MINUTE": "1000000",
        "LOKET_RATE_LIMIT_PER_CONVERSATION_PER_MINUTE": "1000000",
        "LOKET_BRAIN_TIMEOUT": "30",
    }


@contextlib.asynccontextmanager
async def running_hub(
    settings: Settings,
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] = ("bot.cli", "serve"),
) -> AsyncIterator[HubProcess]:
    """`loket serve` in a separate process, so it does not share the load generator's loop.

    `env` adds to the hub's environment; `command` is what `python -m` runs instead.
    """
    port = free_port()
    log_path = data_dir / "hub.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", *command,
            cwd=ROOT, env=hub_env(settings, port, data_dir) | dict(env or {}),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    hub = HubProcess(f"http://127.0.0.1:{port}", process.pid)
    try:
        await wait_for_hub(hub, process, log_path)
        yield hub
    finally:
        await stop_process(process)


async def wait_for_hub(hub: HubProcess, process: asyncio.subprocess.Process, log: Path) -> None:
    """Poll /readyz until it says 200; fail early if the hub exits."""
    deadline = time.monotonic() + HUB_START_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while time.monotonic() < deadline and process.returncode is None:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{hub.url}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.5)
    tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-2000:]
    raise RuntimeError(f"the hub is not ready (exit code {process.returncode}):\n{tail}")


async def stop_process(process: asyncio.subprocess.Process, grace: float = 10.0) -> None:
    """Terminate a process; kill it if it has not stopped after `grace` seconds."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        process.kill()
        await process.wait()


class Processes:
    """The processes under test, for CPU time and resident memory."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.by_name = {name: psutil.Process(pid) for name, pid in pids.items()}

    @classmethod
    def of(cls, hub: HubProcess, children: list[Child]) -> Processes:
        """The hub, the brain's children and this load generator."""
        pids = {"hub": hub.pid}
        pids |= {child.spec.name: child.process.pid for child in children if child.process}
        return cls(pids | {"load generator": os.getpid()})

    def _tree(self, name: str) -> list[psutil.Process]:
        process = self.by_name[name]
        if process.pid == os.getpid():  # our children are the brain: counted on their own
            return [process]
        return [process, *process.children(recursive=True)]

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU seconds used so far by each process and its children."""
        return {
            name: sum(sum(p.cpu_times()[:2]) for p in self._tree(name)) for name in self.by_name
        }

    def rss(self) -> dict[str, int]:
        """Resident memory in bytes of each process and its children."""
        return {name: sum(p.memory_info().rss for p in self._tree(name)) for name in self.by_name}


# --- measurement ------------------------------------------------------------------


@dataclass
class Window:
    """One timed stretch of load against one target at one concurrency."""

    target: str
    level: int
    started: float
    deadline: float
    answers: list[Answer] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)


class Conversations:
    """Fresh conversation ids, so no tracker grows for the whole run."""

    def __init__(self) -> None:
        self._run = secrets.token_hex(3)
        self._numbers = itertools.count()

    def new(self, target: Target) -> str:
        """A conversation id nobody used before, in this run or another."""
        return f"bench-{self._run}-{target.name}-{next(self._numbers)}"


async def virtual_user(
    session: aiohttp.ClientSession,
    target: Target,
    user: int,
    window: Window,
    conversations: Conversations,
) -> None:
    """Play scripts, one conversation each, until the window's deadline."""
    for run in itertools.count():
        script = SCRIPTS[(user + run) % len(SCRIPTS)]
        conversation_id = conversations.new(target)
        for text in script.messages:
            if time.monotonic() >= window.deadline:
                return
            answer = await send(session, target, conversation_id, text, script.language)
            window.answers.append(answer)


async def run_window(
    session: aiohttp.ClientSession,
    target: Target,
    level: int,
    seconds: float,
    conversations: Conversations,
    processes: Processes,
) -> Window:
    """`level` virtual users against `target` for `seconds`, then wait for the last answers."""
    cpu_before = processes.cpu_seconds()
    started = time.monotonic()
    window = Window(target.name, level, started, started + seconds)
    await asyncio.gather(
        *(virtual_user(session, target, user, window, conversations) for user in range(level))
    )
    cpu_after = processes.cpu_seconds()
    window.cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    return window


async def warm_up(
    session: aiohttp.ClientSession, targets: Sequence[Target], conversations: Conversations
) -> dict[str, list[Answer]]:
    """Play every script once against each target, unmeasured; warn about odd answers.

    Returns each target's answers, in the order of the scripts and their messages.
    """
    answers: dict[str, list[Answer]] = {}
    for target in targets:
        print(f"Warming up {target.name}: {len(SCRIPTS)} conversations...", flush=True)
        for script in SCRIPTS:
            conversation_id = conversations.new(target)
            for n, text in enumerate(script.messages):
                answer = await send(session, target, conversation_id, text, script.language)
                check_warm_up_answer(target, script, n, text, answer)
                answers.setdefault(target.name, []).append(answer)
    return answers


def check_warm_up_answer(target: Target, script: Script, n: int, text: str, answer: Answer) -> None:
    """The bot must answer, and start the procedure on the script's second message."""
    said = " | ".join(answer.texts)[:160]
    if answer.outcome != "ok":
        print(f"  WARNING {target.name}: {text!r} -> {answer.outcome} {said!r}", flush=True)
    elif n == 1 and STEP_ONE[script.language] not in " ".join(answer.texts):
        print(
            f"  WARNING {target.name}: {text!r} did not start the procedure: {said!r} "
            "(is the model finished?)",
            flush=True,
        )


TargetT = TypeVar("TargetT")


def window_order(rounds: int, targets: Sequence[TargetT]) -> Iterator[tuple[int, TargetT]]:
    """Rounds of every target, alternating the order (A B, B A, A B...)."""
    for number in range(rounds):
        for target in targets if number % 2 == 0 else reversed(targets):
            yield number + 1, target


async def measure(
    session: aiohttp.ClientSession,
    targets: Sequence[Target],
    options: argparse.Namespace,
    conversations: Conversations,
    processes: Processes,
) -> list[Window]:
    """Every concurrency level, every target, in alternating rounds."""
    windows = []
    seconds = options.seconds / options.rounds
    for level in options.levels:
        for number, target in window_order(options.rounds, targets):
            window = await run_window(session, target, level, seconds, conversations, processes)
            windows.append(window)
            print(f"  c={level:<3} round {number}/{options.rounds} {progress(window)}", flush=True)
            await asyncio.sleep(SETTLE_SECONDS)
    return windows


def progress(window: Window) -> str:
    """One line about a finished window."""
    stats = Stats.of(window.target, window.level, [window])
    return (
        f"{window.target:<4} {stats.answered:>5} answers  {stats.throughput:6.1f} msg/s  "
        f"median {stats.median_ms:7.1f} ms  p95 {stats.p95_ms:7.1f} ms  "
        f"errors {stats.errors}  holding {stats.holding}"
    )


# --- statistics -------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Latency and throughput of one target at one concurrency, over all its windows."""

    target: str
    level: int
    answered: int
    errors: int
    holding: int
    median_ms: float
    p95_ms: float
    throughput: float
    cpu_ms: dict[str, float]

    @classmethod
    def of(cls, target: str, level: int, windows: Sequence[Window]) -> Stats:
        """Latency over every good answer; throughput over the answers within the windows."""
        answers = [a for w in windows for a in w.answers]
        good = sorted(a.latency for a in answers if a.outcome == "ok")
        in_time = sum(
            1 for w in windows for a in w.answers if a.outcome == "ok" and a.finished <= w.deadline
        )
        duration = sum(w.deadline - w.started for w in windows)
        cpu = {name: sum(w.cpu.get(name, 0.0) for w in windows) for name in windows[0].cpu}
        return cls(
            target, level, len(good),
            errors=sum(a.outcome == "error" for a in answers),
            holding=sum(a.outcome == "holding" for a in answers),
            median_ms=1000 * statistics.median(good) if good else float("nan"),
            p95_ms=1000 * percentile(good, 95),
            throughput=in_time / duration if duration else 0.0,
            cpu_ms={name: 1000 * s / max(len(answers), 1) for name, s in cpu.items()},
        )  # fmt: skip


def percentile(values: Sequence[float], p: int) -> float:
    """The p-th percentile (inclusive method) of values already measured."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def summarise(windows: Sequence[Window], levels: Sequence[int]) -> list[Stats]:
    """One Stats per (concurrency, target), Rasa first."""
    return [
        Stats.of(target, level, [w for w in windows if (w.target, w.level) == (target, level)])
        for level in levels
        for target in ("rasa", "hub")
    ]


# --- report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Everything the report says."""

    stats: list[Stats]
    memory: dict[str, int]
    machine: dict[str, str]
    model: str
    command: str
    date: str
    options: argparse.Namespace
    wall_seconds: float = 0.0


def machine(settings: Settings) -> dict[str, str]:
    """The machine and software the figures were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), "?")
    return {
        "CPU": cpu,
        "cores": f"{os.cpu_count()} logical, {psutil.cpu_count(logical=False)} physical",
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "system": platform.platform(),
        "hub": f"Python {platform.python_version()}, aiohttp {version('aiohttp')}",
        "brain": brain_versions(settings),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews the figures."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def brain_versions(settings: Settings) -> str:
    """Python, Rasa and rasa-sdk versions of the brain environment."""
    code = (
        "import platform, importlib.metadata as m; "
        "print(platform.python_version(), m.version('rasa'), m.version('rasa-sdk'))"
    )
    python = rasa_executable(settings).parent / "python"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    py, rasa, sdk = out.stdout.split()
    return f"Python {py}, Rasa {rasa}, rasa-sdk {sdk}"


def ratio_rows(stats: Sequence[Stats]) -> list[str]:
    """hub / Rasa per concurrency, and the verdict against the goal."""
    rows = []
    for rasa, hub in zip(stats[::2], stats[1::2], strict=True):
        median = hub.median_ms / rasa.median_ms
        throughput = hub.throughput / rasa.throughput if rasa.throughput else float("nan")
        rows.append(
            f"| {rasa.level} | {median:.3f} | {hub.median_ms - rasa.median_ms:+.1f} ms | "
            f"{hub.p95_ms / rasa.p95_ms:.3f} | {throughput:.3f} | {verdict(median, throughput)} |"
        )
    return rows


def verdict(median_ratio: float, throughput_ratio: float) -> str:
    """PASS, or MISS with the part of the goal that was missed."""
    missed = [
        *(["median"] if not median_ratio <= MEDIAN_GOAL else []),
        *(["throughput"] if not throughput_ratio >= THROUGHPUT_GOAL else []),
    ]
    return f"**MISS** ({', '.join(missed)})" if missed else "**PASS**"


def results_table(stats: Sequence[Stats]) -> list[str]:
    """Latency and throughput of each target at each concurrency."""
    rows = [
        "| concurrency | target | answers | errors | holding replies "
        "| median (ms) | p95 (ms) | throughput (msg/s) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in stats:
        name = "Rasa alone" if s.target == "rasa" else "hub + Rasa"
        rows.append(
            f"| {s.level} | {name} | {s.answered} | {s.errors} | {s.holding} "
            f"| {s.median_ms:.1f} | {s.p95_ms:.1f} | {s.throughput:.2f} |"
        )
    return rows


def cpu_table(stats: Sequence[Stats]) -> list[str]:
    """CPU milliseconds per message, by process, while each target was under load."""
    names = list(stats[0].cpu_ms)
    rows = [
        "| concurrency | target | " + " | ".join(names) + " |",
        "|---:|---|" + "---:|" * len(names),
    ]
    for s in stats:
        cells = " | ".join(f"{s.cpu_ms[n]:.1f}" for n in names)
        rows.append(f"| {s.level} | {s.target} | {cells} |")
    return rows


def render(run: Run) -> str:
    """The web chat section of docs/benchmarks.md."""
    o = run.options
    lines = [
        "## Web chat: hub vs Rasa alone",
        "",
        "What a person in the web chat waits for, with and without the hub: the same "
        "scripted conversations (FR, NL, EN: greet, ask for a procedure, step through it, "
        "thank) sent to Rasa's REST channel exactly as the hub sends them, and to the web "
        "chat API (`POST /api/conversations/{id}/messages`), with the same model and the "
        "same Rasa and action server, in one run. Closed loop: each virtual user sends "
        "its next message only after the answer; a new conversation id per script. "
        f"{o.seconds:g} s per target and concurrency, in {o.rounds} rounds alternating "
        "the order of the targets, after one unmeasured conversation per script. "
        "Latency is over answered messages; throughput counts the answers completed "
        "within the timed windows. Errors are failed requests; holding replies are the "
        'hub\'s "one moment" answer (the brain did not answer within 30 s).',
        "",
        f"Measured {run.date}, model `{run.model}`, benchmark wall time {run.wall_seconds:.0f} s:",
        "",
        f"    {run.command}",
        "",
        *results_table(run.stats),
        "",
        f"Goal: the hub adds at most {MEDIAN_GOAL - 1:.0%} to the median latency and keeps "
        f"at least {THROUGHPUT_GOAL:.0%} of Rasa's throughput.",
        "",
        "| concurrency | hub / Rasa median | added to the median | hub / Rasa p95 "
        "| hub / Rasa throughput | goal |",
        "|---:|---:|---:|---:|---:|---|",
        *ratio_rows(run.stats),
        "",
        "CPU time per message (ms), by process, while each target was under load "
        "(the load generator is this script):",
        "",
        *cpu_table(run.stats),
        "",
        "Resident memory (RSS) after the run:",
        "",
        "| process | RSS (MiB) |",
        "|---|---:|",
        *(f"| {name} | {rss / 2**20:.0f} |" for name, rss in run.memory.items()),
        "",
        "Machine:",
        "",
        *(f"- {key}: {value}" for key, value in run.machine.items()),
    ]
    return "\n".join(map(wrap_prose, lines))


def wrap_prose(line: str) -> str:
    """Wrap a long paragraph; leave tables, lists and code as they are."""
    return line if line.startswith(("|", " ", "- ")) else textwrap.fill(line, 88)


def update_document(
    path: Path, section: str, markers: tuple[str, str] = (SECTION_START, SECTION_END)
) -> None:
    """Replace a benchmark's section of the document, between its `markers` (start, end).

    Creates the section, or the document, if missing; leaves the rest as it is.
    """
    start, end = markers
    text = path.read_text() if path.exists() else DOC_INTRO
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = f"{text.rstrip()}\n\n{block}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --- main -------------------------------------------------------------------------


async def benchmark(settings: Settings, model: Path, options: argparse.Namespace) -> Run:
    """Start everything, warm up, measure, read memory; stop every process whatever happens."""
    conversations = Conversations()
    load_before = load_average()
    with tempfile.TemporaryDirectory(prefix="loket-bench-") as data_dir:
        print("Starting the Rasa server and the action server...", flush=True)
        async with running_brain(settings, model) as children:
            print("Starting the hub...", flush=True)
            async with running_hub(settings, Path(data_dir)) as hub:
                processes = Processes.of(hub, children)
                targets = (RasaAlone(settings.rasa_url), Hub(hub.url))
                async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
                    await warm_up(session, targets, conversations)
                    print("Measuring...", flush=True)
                    windows = await measure(session, targets, options, conversations, processes)
                memory = processes.rss()
    return Run(
        stats=summarise(windows, options.levels),
        memory=memory,
        machine=machine(settings)
        | {
            "load average (1, 5, 15 min) before starting": load_before,
            "load average at the end (includes this benchmark)": load_average(),
        },
        model=model.name,
        command=options.command,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        options=options,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.web_chat", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--seconds", type=float, default=30.0,
        help="measured seconds per target and concurrency level (default 30)",
    )  # fmt: skip
    parser.add_argument(
        "--levels", type=int, nargs="+", default=[1, 10],
        help="concurrent conversations to measure (default: 1 10)",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=3,
        help="alternating rounds the seconds are split into (default 3)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "benchmarks.md",
        help="the Markdown file whose web chat section is rewritten",
    )  # fmt: skip
    options = parser.parse_args(argv)
    if options.seconds <= 0 or options.rounds < 1 or min(options.levels) < 1:
        parser.error("--seconds, --rounds and --levels must be positive")
    options.command = command_line("benchmarks.web_chat", argv)
    return options


def command_line(module: str, argv: Sequence[str] | None) -> str:
    """The command that ran `python -m module`, as the report shows it."""
    arguments = shlex.join(sys.argv[1:] if argv is None else argv)
    python = Path(sys.executable)
    python = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    return f"{python} -m {module} {arguments}".rstrip()


class Measured(Protocol):
    """A benchmark's results: the time it took is filled in by `run_and_write`."""

    wall_seconds: float


RunT = TypeVar("RunT", bound=Measured)


def run_and_write(
    options: argparse.Namespace,
    benchmark: Callable[[Settings, Path, argparse.Namespace], Awaitable[RunT]],
    render: Callable[[RunT], str],
    markers: tuple[str, str] = (SECTION_START, SECTION_END),
    model: Path | None = None,
) -> int:
    """Start the brain, run `benchmark`, print its section and write it to the document.

    The shared `main` of the benchmarks that need the real brain. `model`: a trained model
    to use as it is; None: the model of the current inputs, trained if they changed.
    """
    configure_logging("INFO")
    began = time.monotonic()
    settings = brain_settings()
    try:
        model = model or ensure_model(settings)  # trains only if the model's inputs changed
        run = asyncio.run(benchmark(settings, model, options))
    except BrainSetupError as error:
        print(f"Cannot start the brain: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; every process was stopped.", file=sys.stderr)
        return 130
    section = render(dataclasses.replace(run, wall_seconds=time.monotonic() - began))
    update_document(options.out, section, markers)
    print(f"\n{section}\n\nWritten to {options.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the section and write it to the document."""
    return run_and_write(parse_args(argv), benchmark, render)


if __name__ == "__main__":
    sys.exit(main())
