"""Replicas benchmark: web chat throughput with one hub and with two hubs on the same cores.

What the shared store costs (issue 14, part 5). Three set-ups, each on a throw-away
PostgreSQL database of the machine's server, all with the tests' stand-in brain
(tests/fakes.py, answering at once, in this process) so that the hub's own cost is
measured, not Rasa's:

- one hub, PostgreSQL, no Redis (locks and live events in the process);
- one hub, PostgreSQL and Redis (conversation locks and fan-out through Redis);
- two hubs, PostgreSQL and Redis, each in its own process; the load balancer is the
  client, which sends each person's messages to the two hubs in turn (round robin per
  request), so that no proxy is measured and a conversation goes through both replicas.

Each hub is `loket serve` in a process of its own (benchmarks/web_chat.py's
running_hub). The load: N people in a closed loop, each sending its next message (with
an Idempotency-Key, as the web chat page does) only after the answer, in windows that
alternate the set-ups round by round so that noise on the machine hits all alike. After
each window every conversation's transcript is read back: each message and its answer
once, in the order sent. Writes its section of docs/benchmarks.md and prints it.

    .venvs/hub/bin/python -m benchmarks.replicas [--seconds 60] [--people 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psutil
from pydantic import SecretStr
from redis.asyncio import Redis

from benchmarks.handoff import POSTGRES, database
from benchmarks.handoff import machine as machine_description
from benchmarks.web_chat import (
    HubProcess,
    command_line,
    load_average,
    percentile,
    running_hub,
    update_document,
    wrap_prose,
)
from bot.settings import ROOT, Settings
from tests.fakes import FakeBrain

REDIS_URL = os.environ.get("LOKET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECTION = ("<!-- replicas:start -->", "<!-- replicas:end -->")
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)
SETTLE_SECONDS = 1.0  # between windows
LANGUAGES = ("fr", "nl", "en")


# --- set-ups -------------------------------------------------------------------------


@dataclass(frozen=True)
class SetUp:
    """Hubs sharing one database (and Redis, when `redis`), under one name."""

    name: str
    hubs: int
    redis: bool


SET_UPS = (
    SetUp("1 hub, PostgreSQL", 1, redis=False),
    SetUp("1 hub, PostgreSQL + Redis", 1, redis=True),
    SetUp("2 hubs, PostgreSQL + Redis", 2, redis=True),
)


@dataclass
class Running:
    """A set-up with its hubs started."""

    set_up: SetUp
    hubs: list[HubProcess]
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds under load, by process

    def hub_for(self, person: int, message: int) -> HubProcess:
        """The client's round robin: a person's messages go to the hubs in turn."""
        return self.hubs[(person + message) % len(self.hubs)]

    def processes(self) -> dict[str, psutil.Process]:
        """Each hub's process, and this load generator (with the stand-in brain)."""
        named = {f"hub {chr(ord('A') + n)}": psutil.Process(h.pid) for n, h in enumerate(self.hubs)}
        return named | {"load generator + brain": psutil.Process(os.getpid())}


SERVERS = {"postgres": "PostgreSQL (all clients)", "redis-server": "Redis (all clients)"}


def cpu_seconds(processes: dict[str, psutil.Process]) -> dict[tuple[str, int], float]:
    """User + system CPU seconds used so far by each of `processes` and by each process
    of the PostgreSQL and Redis servers (shared with whatever else uses them), by
    (name, pid): the servers' processes come and go."""
    named = {(name, p.pid): p for name, p in processes.items()}
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in SERVERS:
            named[(SERVERS[process.info["name"]], process.pid)] = process
    used = {}
    for key, process in named.items():
        with contextlib.suppress(psutil.Error):  # ended meanwhile, or not ours to read
            used[key] = sum(process.cpu_times()[:2])
    return used


def cpu_used(
    before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]
) -> dict[str, float]:
    """CPU seconds used between two cpu_seconds() readings, by name (a process that
    ended in between is not counted)."""
    used: dict[str, float] = {}
    for (name, pid), seconds in after.items():
        used[name] = used.get(name, 0.0) + seconds - before.get((name, pid), 0.0)
    return used


def hub_settings(brain_url: str) -> Settings:
    """What benchmarks.web_chat.running_hub takes: the stand-in brain's address."""
    return Settings(
        database_url="",
        rasa_url=brain_url,
        action_server_url=brain_url,
        rasa_token=SecretStr(""),
        _env_file=None,
    )


@contextlib.asynccontextmanager
async def start(
    set_up: SetUp, brain_url: str, data_dir: Path, prefix: str
) -> AsyncIterator[Running]:
    """The set-up's hubs on a fresh database, started one after the other (the first
    migrates the schema)."""
    async with database("postgres") as database_url, contextlib.AsyncExitStack() as stack:
        if database_url is None:
            raise RuntimeError(f"no PostgreSQL at {POSTGRES}")
        redis = REDIS_URL if set_up.redis else ""
        env = {
            "LOKET_DATABASE_URL": database_url,
            "REDIS_URL": redis,
            "LOKET_REDIS_URL": redis,
            "LOKET_REDIS_PREFIX": prefix,
        }
        hubs = []
        for n in range(set_up.hubs):
            hub_dir = data_dir / f"hub-{n}"
            hub_dir.mkdir()
            hub = running_hub(hub_settings(brain_url), hub_dir, env)
            hubs.append(await stack.enter_async_context(hub))
        yield Running(set_up, hubs)


async def forget_redis_keys(prefix: str) -> None:
    """Remove what the run left in Redis under its prefix."""
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


# --- load ----------------------------------------------------------------------------


@dataclass
class Window:
    """One timed stretch of load against one set-up."""

    set_up: str
    started: float
    deadline: float
    latencies: list[float] = field(default_factory=list)
    in_time: int = 0  # answers completed before the deadline
    errors: list[str] = field(default_factory=list)
    sent: dict[str, list[str]] = field(default_factory=dict)  # conversation -> texts
    out_of_order: int = 0  # conversations not asked or shown each message once, in order
    cores_busy: float = float("nan")  # by every process on the machine, on average


def expected_reply(text: str, language: str) -> str:
    """What the stand-in brain answers (tests/fakes.py echo)."""
    return f"echo[{language}]: {text}"


async def post_message(
    session: aiohttp.ClientSession, hub: HubProcess, conversation_id: str, text: str, language: str
) -> str | None:
    """Send one message with its Idempotency-Key; None if answered right, else the error."""
    url = f"{hub.url}/api/conversations/{conversation_id}/messages"
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    try:
        async with session.post(
            url, json={"text": text, "language": language}, headers=headers
        ) as response:
            if response.status != 200:
                return f"HTTP {response.status}: {(await response.text())[:200]}"
            answer = await response.json()
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    replies = [reply.get("text") for reply in answer.get("replies", [])]
    if replies != [expected_reply(text, language)]:
        return f"unexpected replies to {text!r}: {replies!r}"
    return None


async def person(
    session: aiohttp.ClientSession, running: Running, number: int, window: Window, run: str
) -> None:
    """One person's conversation: a message, its answer, the next one, until the deadline."""
    conversation_id = f"bench-{run}-{number}"
    language = LANGUAGES[number % len(LANGUAGES)]
    sent = window.sent.setdefault(conversation_id, [])
    for message in itertools.count():
        if time.monotonic() >= window.deadline:
            return
        text = f"message {message} of person {number}"
        hub = running.hub_for(number, message)
        started = time.perf_counter()
        error = await post_message(session, hub, conversation_id, text, language)
        sent.append(text)
        if error is not None:
            window.errors.append(error)
            continue
        window.latencies.append(time.perf_counter() - started)
        window.in_time += time.monotonic() <= window.deadline


async def check_conversations(
    session: aiohttp.ClientSession, running: Running, window: Window, brain: FakeBrain
) -> None:
    """The brain was asked each message once, in the order sent; the transcript (read from
    the last hub) has each message once, followed by its answer, in that order."""
    hub = running.hubs[-1]
    asked: dict[str, list[str]] = {}
    for body in brain.received:
        asked.setdefault(body["sender"], []).append(body["message"])
    for number, (conversation_id, texts) in enumerate(window.sent.items()):
        language = LANGUAGES[number % len(LANGUAGES)]
        expected = [t for text in texts for t in (text, expected_reply(text, language))]
        async with session.get(f"{hub.url}/api/conversations/{conversation_id}") as response:
            messages = (await response.json())["messages"] if response.status == 200 else []
        if [m["text"] for m in messages] != expected or asked.get(conversation_id) != texts:
            window.out_of_order += 1


async def run_window(
    session: aiohttp.ClientSession,
    running: Running,
    brain: FakeBrain,
    people: int,
    seconds: float,
) -> Window:
    """`people` people against `running` for `seconds`, then their transcripts checked."""
    processes = running.processes()
    before, machine_before = cpu_seconds(processes), busy_and_total()
    now = time.monotonic()
    window = Window(running.set_up.name, now, now + seconds)
    run = secrets.token_hex(3)
    await asyncio.gather(*(person(session, running, n, window, run) for n in range(people)))
    window.cores_busy = cores_busy(machine_before)
    for name, used in cpu_used(before, cpu_seconds(processes)).items():
        running.cpu[name] = running.cpu.get(name, 0.0) + used
    await check_conversations(session, running, window, brain)
    return window


async def warm_up(session: aiohttp.ClientSession, running: Running) -> None:
    """One unmeasured message per hub: connections and first queries made."""
    for n, hub in enumerate(running.hubs):
        error = await post_message(session, hub, f"warm-{secrets.token_hex(3)}-{n}", "hello", "en")
        if error is not None:
            raise RuntimeError(f"{running.set_up.name}: warm-up failed: {error}")


# --- statistics -----------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """One set-up over all its windows."""

    set_up: str
    answered: int
    errors: int
    out_of_order: int
    median_ms: float
    p95_ms: float
    throughput: float
    cpu_ms: dict[str, float]
    cores_busy: float
    error_examples: tuple[str, ...]

    @classmethod
    def of(cls, running: Running, windows: Sequence[Window]) -> Stats:
        """Latency over answered messages; throughput over the answers within the windows."""
        latencies = sorted(x for w in windows for x in w.latencies)
        duration = sum(w.deadline - w.started for w in windows)
        answered = len(latencies)
        return cls(
            running.set_up.name,
            answered,
            errors=sum(len(w.errors) for w in windows),
            out_of_order=sum(w.out_of_order for w in windows),
            median_ms=1000 * percentile(latencies, 50),
            p95_ms=1000 * percentile(latencies, 95),
            throughput=sum(w.in_time for w in windows) / duration if duration else 0.0,
            cpu_ms={k: 1000 * v / max(answered, 1) for k, v in running.cpu.items()},
            cores_busy=statistics.fmean(w.cores_busy for w in windows),
            error_examples=tuple(dict.fromkeys(e for w in windows for e in w.errors))[:3],
        )


def progress(window: Window) -> str:
    """One line about a finished window."""
    latencies = sorted(window.latencies)
    return (
        f"{window.set_up:<28} {len(latencies):>6} answers  "
        f"{window.in_time / (window.deadline - window.started):7.1f} msg/s  "
        f"median {1000 * percentile(latencies, 50):6.1f} ms  "
        f"p95 {1000 * percentile(latencies, 95):6.1f} ms  errors {len(window.errors)}  "
        f"not in order {window.out_of_order}  cores busy {window.cores_busy:.2f}"
    )


# --- a run ----------------------------------------------------------------------------


@dataclass
class Run:
    """Everything the report says."""

    stats: list[Stats]
    memory: dict[str, int]  # RSS of each hub after the run, by "set-up: hub"
    machine: dict[str, str]
    command: str
    date: str
    options: argparse.Namespace
    wall_seconds: float = 0.0


async def benchmark(options: argparse.Namespace) -> Run:
    """Start every set-up, warm up, measure in alternating rounds; stop everything."""
    brain = FakeBrain()
    brain_url = f"http://127.0.0.1:{await brain.start()}"
    prefix = f"loket-bench-{secrets.token_hex(4)}:"
    load_before = load_average()
    busy_before = busy_and_total()
    try:
        with tempfile.TemporaryDirectory(prefix="loket-bench-replicas-") as data_dir:
            async with contextlib.AsyncExitStack() as stack:
                running = []
                for n, set_up in enumerate(SET_UPS):
                    print(f"Starting {set_up.name}...", flush=True)
                    folder = Path(data_dir) / f"set-up-{n}"
                    folder.mkdir()
                    started = start(set_up, brain_url, folder, f"{prefix}{n}:")
                    running.append(await stack.enter_async_context(started))
                stats = await measure(running, brain, options)
                memory = {
                    f"{r.set_up.name}: {name}": p.memory_info().rss
                    for r in running
                    for name, p in r.processes().items()
                    if name.startswith("hub")
                }
    finally:
        await brain.stop()
        await forget_redis_keys(prefix)
    return Run(
        stats, memory,
        machine_description()
        | {
            "PostgreSQL and Redis": f"this machine's ({POSTGRES}, {REDIS_URL})",
            "load average (1, 5, 15 min) before starting": load_before,
            "load average at the end (includes this benchmark)": load_average(),
            "cores busy during the run (every process)": f"{cores_busy(busy_before):.2f}",
        },
        options.command, datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), options,
    )  # fmt: skip


def busy_and_total() -> tuple[float, float]:
    """CPU seconds the machine spent busy (all processes, all cores), and in all."""
    times = psutil.cpu_times()
    total = sum(times)
    return total - times.idle - getattr(times, "iowait", 0.0), total


def cores_busy(before: tuple[float, float]) -> float:
    """Cores kept busy on average since `before` (busy_and_total), by every process."""
    busy, total = (now - then for now, then in zip(busy_and_total(), before, strict=True))
    return (psutil.cpu_count() or 1) * busy / total if total else float("nan")


async def measure(
    running: Sequence[Running], brain: FakeBrain, options: argparse.Namespace
) -> list[Stats]:
    """Each set-up `rounds` times, the order of the set-ups turning each round."""
    seconds = options.seconds / options.rounds
    windows: dict[str, list[Window]] = {r.set_up.name: [] for r in running}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT, connector=connector) as session:
        for r in running:
            await warm_up(session, r)
        print(f"Measuring: {options.people} people, {seconds:g} s per window...", flush=True)
        for number in range(options.rounds):
            order = running[number % len(running) :] + running[: number % len(running)]
            for r in order:
                window = await run_window(session, r, brain, options.people, seconds)
                windows[r.set_up.name].append(window)
                print(f"  round {number + 1}/{options.rounds} {progress(window)}", flush=True)
                await asyncio.sleep(SETTLE_SECONDS)
    return [Stats.of(r, windows[r.set_up.name]) for r in running]


# --- the report -----------------------------------------------------------------------


def results_table(stats: Sequence[Stats]) -> list[str]:
    """Throughput and latency of each set-up, with the two-hub figures against one hub."""
    base = stats[0]
    rows = [
        "| set-up | answers | errors | conversations not in order | median (ms) | p95 (ms) "
        "| throughput (msg/s) | vs 1 hub without Redis |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in stats:
        ratio = s.throughput / base.throughput if base.throughput else float("nan")
        rows.append(
            f"| {s.set_up} | {s.answered} | {s.errors} | {s.out_of_order} | {s.median_ms:.1f} "
            f"| {s.p95_ms:.1f} | {s.throughput:.1f} | {ratio:.2f} |"
        )
    return rows


def cpu_table(stats: Sequence[Stats]) -> list[str]:
    """CPU milliseconds per answered message, by process."""
    rows = [
        "| set-up | CPU per message (ms), by process | cores busy, whole machine |",
        "|---|---|---:|",
    ]
    for s in stats:
        cells = ", ".join(f"{name} {ms:.1f}" for name, ms in s.cpu_ms.items())
        rows.append(f"| {s.set_up} | {cells} | {s.cores_busy:.2f} |")
    return rows


def render(run: Run) -> str:
    """The replicas section of docs/benchmarks.md."""
    o = run.options
    lines = [
        "## Replicas: one hub, two hubs",
        "",
        "What sharing the store costs (issue 14): the same web chat load against one hub "
        "on PostgreSQL without Redis, one hub with Redis (conversation locks and live "
        "events through Redis), and two hubs with Redis, each hub `loket serve` in a "
        "process of its own, on the same 2 cores. Each set-up has a throw-away database "
        "on this machine's PostgreSQL; all share its Redis (a prefix each). The brain is "
        "the tests' stand-in (`tests/fakes.py`, in the load generator's process), which "
        "answers at once: the figures are the hub's own cost, not Rasa's. Load balancer: "
        "the client itself, round robin per request (a person's messages go to hub A and "
        "hub B in turn), so no proxy is measured and every conversation goes through both "
        f"replicas. Closed loop: {o.people} people, each sending its next message (with "
        "its own `Idempotency-Key`) only after the answer; "
        f"{o.seconds:g} s per set-up in {o.rounds} rounds, the set-ups' order turning "
        "each round, after one unmeasured message per hub. Errors: any answer that is "
        "not 200 with exactly the stand-in's echo of the message. After each window every "
        "conversation is checked: the brain was asked each message once, in the order "
        "sent, and the transcript (read back from the last hub) shows each message and its "
        "answer once, in that order; otherwise it counts as not in order.",
        "",
        f"Measured {run.date}, wall time {run.wall_seconds:.0f} s:",
        "",
        f"    {run.command}",
        "",
        *results_table(run.stats),
        "",
        "CPU time per answered message, by process, while each set-up was under load "
        "(PostgreSQL and Redis: every process of the server, whoever its client; other "
        "work on the machine uses them too), and the cores kept busy on average by every "
        "process on the machine (of 2):",
        "",
        *cpu_table(run.stats),
        "",
        "Hubs' resident memory (RSS) after the run:",
        "",
        "| hub | RSS (MiB) |",
        "|---|---:|",
        *(f"| {name} | {rss / 2**20:.0f} |" for name, rss in run.memory.items()),
        "",
        *error_lines(run.stats),
        "Machine:",
        "",
        *(f"- {key}: {value}" for key, value in run.machine.items()),
    ]
    return "\n".join(map(wrap_prose, lines))


def error_lines(stats: Sequence[Stats]) -> list[str]:
    """A few of the errors seen, if any."""
    lines = [f"- {s.set_up}: `{e}`" for s in stats for e in s.error_examples]
    return ["Errors seen (first of each kind):", "", *lines, ""] if lines else []


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.replicas", description=__doc__.split("\n\n")[0]
    )
    add = parser.add_argument
    add("--seconds", type=float, default=60.0, help="measured seconds per set-up (default 60)")
    add("--people", type=int, default=50, help="people chatting at once (default 50)")
    add("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    add("--out", type=Path, default=ROOT / "docs" / "benchmarks.md",
        help="the Markdown file whose replicas section is rewritten")  # fmt: skip
    options = parser.parse_args(argv)
    if options.seconds <= 0 or options.people < 1 or options.rounds < 1:
        parser.error("--seconds, --people and --rounds must be positive")
    options.command = command_line("benchmarks.replicas", argv)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its section and write it to the document."""
    options = parse_args(argv)
    began = time.monotonic()
    try:
        run = asyncio.run(benchmark(options))
    except KeyboardInterrupt:
        print("Interrupted; every hub was stopped.", file=sys.stderr)
        return 130
    run.wall_seconds = time.monotonic() - began
    section = render(run)
    update_document(options.out, section, SECTION)
    print(f"\n{section}\n\nWritten to {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
