"""Handoff benchmark: live messages between people on the web chat and agents' consoles.

Starts the hub in a process of its own (benchmarks/handoff_hub.py: `loket serve` with
a clock pinned in office hours), with the stand-in brain of the tests answering at once
(tests/fakes.py; the brain is never asked while an agent holds a conversation). Then,
as real clients over HTTP: 20 agent accounts (made with bot/console/accounts.py) sign
in (cookie + CSRF), say they are available and each hold the console's live stream
(GET /agent/events) open; 200 web chat conversations ask for a person
("/request_human"), each holds the person's live stream open
(GET /api/conversations/{id}/events), and the agents take them through the console
(spread over the 20). Measured, open loop, alternating:

- person -> console: a person's message posted on the web chat API, until the change
  arrives on the live stream of the console holding the conversation;
- agent -> person: the agent's reply posted through the console's reply action, until
  it arrives on the person's live stream;

then the queue page (GET /agent/) with 1,000 more conversations waiting, put in through
the store. SQLite, and PostgreSQL when a server answers (LOKET_TEST_POSTGRES_URL,
as tests/databases.py). Writes its section of docs/benchmarks.md and prints it.

    .venvs/hub/bin/python -m benchmarks.handoff [--samples 300] [--databases sqlite postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import pstats
import random
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import psutil
import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks.web_chat import (
    command_line,
    free_port,
    load_average,
    percentile,
    stop_process,
    update_document,
    wrap_prose,
)
from bot.console import accounts
from bot.conversations.model import State
from bot.conversations.office_hours import OfficeHours
from bot.conversations.states import Move
from bot.conversations.store import ConversationStore, NewReply, StateMove, create_engine
from bot.handoff_texts import say
from bot.languages import LanguageSource
from bot.settings import ROOT, Settings
from tests.fakes import FakeBrain
from tests.sse import ServerEvent, read_event

LIVE_TARGET_MS = 250.0  # p95, each direction
QUEUE_TARGET_MS = 150.0  # the queue page, with 1,000 conversations waiting
# static/console.js on the queue page: REFRESH_DELAY_MS, MESSAGE_REFRESH_DELAY_MS
CONSOLE_REFRESH_DELAY = 1.0
CONSOLE_MESSAGE_REFRESH_DELAY = 5.0
PINNED = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))  # a Tuesday
SAMPLE_TIMEOUT = 10.0  # a message not arrived by then is counted lost
HUB_START_TIMEOUT = 60.0
POSTGRES = os.environ.get("LOKET_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
LANGUAGES = ("fr", "nl", "en")
QUESTIONS = {
    "fr": ("Bonjour, je n'arrive pas à me connecter avec itsme, pouvez-vous m'aider ?",
           "J'ai déménagé le mois passé et la commune ne m'a toujours pas contacté.",
           "Je voudrais parler à quelqu'un pour mon allocation familiale."),
    "nl": ("Goeiedag, ik kan niet inloggen met itsme, kunt u mij helpen?",
           "Ik ben vorige maand verhuisd en de gemeente heeft nog niets laten weten.",
           "Ik wil graag met iemand spreken over mijn groeipakket."),
    "en": ("Hello, I cannot log in with itsme, can you help me?",
           "I moved last month and the commune has not contacted me yet.",
           "I would like to talk to someone about my family allowance."),
}  # fmt: skip
SECTION = ("<!-- handoff:start -->", "<!-- handoff:end -->")
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception)\b.*$", re.MULTILINE)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STREAM_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10)
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


# --- the hub and its database ------------------------------------------------------


@dataclass(frozen=True)
class Hub:
    """The hub under test, in its own process."""

    url: str
    process: asyncio.subprocess.Process
    database_url: str
    offset: timedelta

    def now(self) -> datetime:
        """The hub's clock: real time moved to the pinned moment."""
        return datetime.now(UTC) + self.offset

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the hub has used so far."""
        return sum(psutil.Process(self.process.pid).cpu_times()[:2])


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str | None]:
    """The hub's database URL: empty for SQLite in the data directory, or a fresh
    PostgreSQL database (dropped afterwards); None when no PostgreSQL server answers."""
    if kind == "sqlite":
        yield ""
        return
    name = f"loket_bench_{secrets.token_hex(4)}"
    admin = create_async_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OSError as error:
        await admin.dispose()
        print(f"No PostgreSQL at {POSTGRES} ({error}): skipped.", flush=True)
        yield None
        return
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@contextlib.asynccontextmanager
async def running_hub(
    data_dir: Path, database_url: str, brain_url: str, profile: Path | None
) -> AsyncIterator[Hub]:
    """benchmarks.handoff_hub in its own process, its clock in office hours."""
    port = free_port()
    offset = PINNED - datetime.now(UTC)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOKET_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "LOKET_HOST": "127.0.0.1",
        "LOKET_PORT": str(port),
        "LOKET_DATA_DIR": str(data_dir),
        "LOKET_DATABASE_URL": database_url,
        "LOKET_RASA_URL": brain_url,
        "LOKET_ACTION_SERVER_URL": brain_url,
        "LOKET_RATE_LIMIT_PER_MINUTE": "1000000",
        "LOKET_RATE_LIMIT_PER_CONVERSATION_PER_MINUTE": "1000000",
    }
    arguments = [str(offset.total_seconds()), *([str(profile)] if profile else [])]
    log_path = data_dir / "hub.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.handoff_hub", *arguments,
            cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    hub = Hub(f"http://127.0.0.1:{port}", process, database_url, offset)
    try:
        await wait_for_hub(hub, log_path)
        yield hub
    finally:
        await stop_process(process)


async def wait_for_hub(hub: Hub, log: Path) -> None:
    """Poll /readyz until it says 200; fail early if the hub exits."""
    deadline = time.monotonic() + HUB_START_TIMEOUT
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while time.monotonic() < deadline and hub.process.returncode is None:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{hub.url}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.3)
    tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-3000:]
    raise RuntimeError(f"the hub is not ready (exit code {hub.process.returncode}):\n{tail}")


# --- clients ------------------------------------------------------------------------


class Arrivals:
    """Who waits for which message: a reader of a live stream resolves it on arrival."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, ...], asyncio.Future[float]] = {}

    def expect(self, key: tuple[str, ...]) -> asyncio.Future[float]:
        """A future that gets the arrival time (perf_counter) of `key`."""
        future = self._waiting[key] = asyncio.get_running_loop().create_future()
        return future

    def arrived(self, key: tuple[str, ...]) -> None:
        """Called by the stream readers for every message they see."""
        future = self._waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())

    def forget(self, key: tuple[str, ...]) -> None:
        """Stop waiting for `key` (it was lost)."""
        self._waiting.pop(key, None)


@dataclass
class Agent:
    """One console: an account, its signed-in HTTP session, its live stream."""

    number: int
    name: str
    password: str
    http: aiohttp.ClientSession
    csrf: str = ""

    def headers(self) -> dict[str, str]:
        """What the console's script sends with a POST."""
        return {"X-CSRF-Token": self.csrf, "X-Requested-With": "fetch"}


@dataclass(frozen=True)
class Person:
    """One web chat conversation held by an agent."""

    conversation_id: str
    language: str
    agent: Agent


@dataclass
class Clients:
    """Everything on the load generator's side."""

    hub: Hub
    arrivals: Arrivals = field(default_factory=Arrivals)
    agents: list[Agent] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)
    web: aiohttp.ClientSession | None = None  # the people's posts and streams
    changed: dict[int, RefreshDue] = field(default_factory=dict)
    """Per console: when console.js would refetch the page, from its live stream."""

    def session(self, **options: object) -> aiohttp.ClientSession:
        """A client session on the hub, closed at the end."""
        created = aiohttp.ClientSession(base_url=self.hub.url, **options)  # type: ignore[arg-type]
        self.sessions.append(created)
        return created

    async def close(self) -> None:
        """Stop the readers and close every connection."""
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)
        await asyncio.gather(*(s.close() for s in self.sessions))


class RefreshDue:
    """When a console's script refetches its page: the soonest of its pending delays."""

    def __init__(self) -> None:
        self.due: float | None = None
        self.pending = asyncio.Event()

    def change(self, kind: object) -> None:
        """A change event, as console.js's scheduleRefresh takes it."""
        delay = CONSOLE_MESSAGE_REFRESH_DELAY if kind == "message" else CONSOLE_REFRESH_DELAY
        due = asyncio.get_running_loop().time() + delay
        if self.due is None or due < self.due:
            self.due = due
            self.pending.set()

    async def wait(self) -> None:
        """Until the refetch is due; then nothing is pending any more."""
        loop = asyncio.get_running_loop()
        while True:
            await self.pending.wait()
            if self.due is not None and loop.time() >= self.due:
                self.due = None
                self.pending.clear()
                return
            await asyncio.sleep(max(0.0, (self.due or loop.time()) - loop.time()))


async def checked(response: aiohttp.ClientResponse, *expected: int) -> str:
    """The body; RuntimeError if the status is not one of `expected`."""
    body = await response.text()
    if response.status not in expected:
        raise RuntimeError(f"{response.method} {response.url}: {response.status} {body[:300]}")
    return body


def csrf_token(html: str) -> str:
    """The CSRF token in a console page's forms."""
    match = CSRF.search(html)
    if match is None:
        raise RuntimeError("no CSRF token on the console's page")
    return match.group(1)


async def create_agents(store: ConversationStore, count: int) -> list[tuple[str, str]]:
    """Console accounts through accounts.add_agent: (name, password) each."""
    made = []
    for n in range(count):
        name, password = f"agent{n:02d}", accounts.generate_password()
        await accounts.add_agent(store.session, name, password, language=LANGUAGES[n % 3])
        made.append((name, password))
    return made


async def sign_in(clients: Clients, number: int, name: str, password: str) -> Agent:
    """Sign in as a browser does (form, cookie, CSRF) and become available."""
    http = clients.session(cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=REQUEST_TIMEOUT)
    agent = Agent(number, name, password, http)
    async with http.get("/agent/sign-in") as response:
        token = csrf_token(await checked(response, 200))
    form = {"name": name, "password": password, "csrf_token": token, "next": "/agent/"}
    async with http.post("/agent/sign-in", data=form, allow_redirects=False) as response:
        await checked(response, 303)
    async with http.get("/agent/") as response:  # a new session: a new token
        agent.csrf = csrf_token(await checked(response, 200))
    form = {"available": "1", "csrf_token": agent.csrf, "next": "/agent/"}
    async with http.post("/agent/availability", data=form, allow_redirects=False) as response:
        await checked(response, 303)
    return agent


async def open_console(clients: Clients, agent: Agent) -> None:
    """The console's live stream; every message event is an arrival for this console."""
    response = await agent.http.get(
        "/agent/events", headers={"Accept": "text/event-stream"}, timeout=STREAM_TIMEOUT
    )
    await checked_stream(response)
    changed = clients.changed[agent.number] = RefreshDue()

    async def read() -> None:
        while True:
            event = await read_event(response, timeout=None)  # type: ignore[arg-type]
            data = event.data if isinstance(event.data, dict) else {}
            if event.kind == "change":
                changed.change(data.get("kind"))
            if event.kind == "change" and data.get("kind") == "message":
                clients.arrivals.arrived(
                    ("console", str(agent.number), str(data["conversation_id"]))
                )

    clients.readers.append(asyncio.create_task(read()))


async def checked_stream(response: aiohttp.ClientResponse) -> None:
    """A live stream must answer 200 with server-sent events."""
    if response.status != 200 or not response.content_type.startswith("text/event-stream"):
        body = await response.text()
        raise RuntimeError(f"GET {response.url}: {response.status} {body[:300]}")


async def ask_for_a_person(clients: Clients, n: int) -> tuple[str, str]:
    """A person on the web chat asks for a person, and holds their live stream open."""
    assert clients.web is not None
    conversation_id = f"bench-{secrets.token_hex(3)}-{n:03d}"
    language = LANGUAGES[n % 3]
    body = {"text": "/request_human", "language": language}
    async with clients.web.post(f"/api/conversations/{conversation_id}/messages", json=body) as r:
        answer = await r.json() if r.status == 200 else None
        if answer is None or answer["state"] != State.WAITING_FOR_AGENT:
            raise RuntimeError(f"asking for a person: {r.status} {answer or await r.text()}")
    last = max((reply["id"] for reply in answer["replies"]), default=0)
    response = await clients.web.get(
        f"/api/conversations/{conversation_id}/events?after={last}", timeout=STREAM_TIMEOUT
    )
    await checked_stream(response)
    while (await read_event(response)).kind != "state":  # then the stream is live
        pass

    async def read() -> None:
        while True:
            event: ServerEvent = await read_event(response, timeout=None)  # type: ignore[arg-type]
            if event.kind == "message":
                clients.arrivals.arrived(("person", conversation_id, str(event.data["text"])))

    clients.readers.append(asyncio.create_task(read()))
    return conversation_id, language


async def take(agent: Agent, conversation_id: str) -> None:
    """The console's take action."""
    url = f"/agent/conversations/{conversation_id}/take"
    async with agent.http.post(url, headers=agent.headers()) as response:
        await checked(response, 200)


async def set_up(clients: Clients, store: ConversationStore, options: argparse.Namespace) -> None:
    """Agents signed in with their consoles open; people waiting, then taken."""
    print(f"  {options.agents} agent accounts (argon2 hashes)...", flush=True)
    accounts_made = await create_agents(store, options.agents)
    print("  signing in through the console, opening the consoles' live streams...", flush=True)
    clients.agents = list(
        await asyncio.gather(*(sign_in(clients, n, *a) for n, a in enumerate(accounts_made)))
    )
    for agent in clients.agents:
        await open_console(clients, agent)
    clients.web = clients.session(connector=aiohttp.TCPConnector(limit=0), timeout=REQUEST_TIMEOUT)
    print(f"  {options.conversations} people ask for a person and open their stream...", flush=True)
    asked = []
    for batch in range(0, options.conversations, 20):
        end = min(batch + 20, options.conversations)
        asked += await asyncio.gather(*(ask_for_a_person(clients, n) for n in range(batch, end)))
    print("  the agents take them through the console...", flush=True)
    for n, (conversation_id, language) in enumerate(asked):
        agent = clients.agents[n % len(clients.agents)]
        await take(agent, conversation_id)
        clients.people.append(Person(conversation_id, language, agent))
    rows, _ = await store.handed_over()
    held = sum(1 for c in rows if c[0].state == State.WITH_AGENT)
    if held != options.conversations:
        raise RuntimeError(f"{held} conversations with agents, not {options.conversations}")


# --- measurements -------------------------------------------------------------------


@dataclass
class Series:
    """Latencies of one measure, in seconds; `lost` never arrived (or failed)."""

    name: str
    target_ms: float | None  # p95; None: measured for information
    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    cpu_ms: float = float("nan")  # the hub's CPU time per sample
    note: str = ""

    def ms(self, p: int | None = None) -> float:
        """Median (p None), a percentile, or max (p 100), in ms."""
        values = sorted(self.latencies)
        if not values:
            return float("nan")
        if p is None:
            return 1000 * statistics.median(values)
        return 1000 * (values[-1] if p == 100 else percentile(values, p))

    @property
    def met(self) -> bool:
        """The goal: p95 within the target, nothing lost."""
        if self.target_ms is None:
            return True
        return bool(self.latencies) and self.lost == 0 and self.ms(95) <= self.target_ms


async def person_to_console(clients: Clients, person: Person, n: int) -> float | None:
    """Post a person's message; seconds until the holding console's stream says so."""
    assert clients.web is not None
    key = ("console", str(person.agent.number), person.conversation_id)
    arrival = clients.arrivals.expect(key)
    text = f"{QUESTIONS[person.language][n % 3]} ({n})"
    url = f"/api/conversations/{person.conversation_id}/messages"
    started = time.perf_counter()
    try:
        async with clients.web.post(url, json={"text": text}) as response:
            await checked(response, 200)
        return await asyncio.wait_for(arrival, SAMPLE_TIMEOUT) - started
    except (RuntimeError, aiohttp.ClientError, TimeoutError) as error:
        print(f"    lost (person -> console): {error}", flush=True)
        clients.arrivals.forget(key)
        return None


async def agent_to_person(clients: Clients, person: Person, n: int) -> float | None:
    """Post the agent's reply through the console; seconds until the person's stream has it."""
    agent = person.agent
    text = f"Reply {n} from {agent.name}: the form is on the commune's site."
    key = ("person", person.conversation_id, text)
    arrival = clients.arrivals.expect(key)
    url = f"/agent/conversations/{person.conversation_id}/reply"
    started = time.perf_counter()
    try:
        async with agent.http.post(url, data={"text": text}, headers=agent.headers()) as response:
            await checked(response, 200)
        return await asyncio.wait_for(arrival, SAMPLE_TIMEOUT) - started
    except (RuntimeError, aiohttp.ClientError, TimeoutError) as error:
        print(f"    lost (agent -> person): {error}", flush=True)
        clients.arrivals.forget(key)
        return None


async def measure_live(
    clients: Clients, options: argparse.Namespace, samples: int, warm_up: int, label: str = ""
) -> list[Series]:
    """Both directions, alternating, one sample every `interval` (open loop), after warm-up.

    Sample i of a direction goes to conversation i (mod 200); the two directions walk
    the conversations half a round apart, so no conversation has two messages in flight.
    """
    inbound = Series(f"person -> agent's console (SSE){label}", LIVE_TARGET_MS)
    outbound = Series(f"agent -> person's page (SSE){label}", LIVE_TARGET_MS)
    people = clients.people
    each = warm_up + samples
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[float | None]] = []
    start = loop.time()
    cpu_before: float | None = None
    for i in range(2 * each):
        if i == 2 * warm_up:
            await asyncio.gather(*tasks)  # the warm-up is over: start the clock cleanly
            tasks.clear()
            cpu_before = clients.hub.cpu_seconds()
            start = loop.time() - i * options.interval
        await asyncio.sleep(max(0.0, start + i * options.interval - loop.time()))
        n, direction = divmod(i, 2)
        if direction == 0:
            person = people[n % len(people)]
            tasks.append(asyncio.create_task(person_to_console(clients, person, n)))
        else:
            person = people[(n + len(people) // 2) % len(people)]
            tasks.append(asyncio.create_task(agent_to_person(clients, person, n)))
        if (i + 1) % 100 == 0:
            print(f"    {i + 1}/{2 * each} messages sent", flush=True)
    results = await asyncio.gather(*tasks)
    cpu = clients.hub.cpu_seconds() - (cpu_before or 0.0)
    for series, latencies in ((inbound, results[0::2]), (outbound, results[1::2])):
        series.latencies = [x for x in latencies if x is not None]
        series.lost = sum(x is None for x in latencies)
        series.cpu_ms = 1000 * cpu / max(len(results), 1)
    return [inbound, outbound]


async def measure_scripted(clients: Clients, options: argparse.Namespace) -> list[Series]:
    """The live measures again, with every console on the queue page doing what
    static/console.js does there: fetch the page again 1 s after a change of the queue,
    5 s after a message in some conversation (the soonest wins; one fetch at a time)."""
    fetches = Series("queue page refreshed by console.js, during the above", None)

    async def refresh(agent: Agent) -> None:
        changed = clients.changed[agent.number]
        while True:
            await changed.wait()
            started = time.perf_counter()
            try:
                headers = {"X-Requested-With": "fetch", "Accept": "text/html"}
                async with agent.http.get("/agent/", headers=headers) as response:
                    await response.read()
                    ok = response.status == 200
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if ok:
                fetches.latencies.append(time.perf_counter() - started)
            else:
                fetches.lost += 1

    refreshers = [asyncio.create_task(refresh(agent)) for agent in clients.agents]
    try:
        label = ", consoles on the queue page running console.js"
        series = await measure_live(clients, options, options.script_samples, 10, label)
    finally:
        for task in refreshers:
            task.cancel()
        await asyncio.gather(*refreshers, return_exceptions=True)
    return [*series, fetches]


async def fill_queue(store: ConversationStore, hub: Hub, count: int) -> None:
    """`count` web chat conversations waiting for a person, straight through the store:
    a question, the handoff (2 % urgent), the queue reply; waiting up to 50 minutes."""
    rng = random.Random(8)
    topics = [None, *procedure_ids()]
    for n in range(count):
        language = LANGUAGES[n % 3]
        when = hub.now() - timedelta(seconds=rng.uniform(0, 3000))
        conversation_id = f"waiting-{n:04d}-{secrets.token_hex(2)}"

        def decide(_: object, language: str = language) -> tuple[str, LanguageSource]:
            return language, LanguageSource.EXPLICIT

        question = QUESTIONS[language][n % 3]
        _, message = await store.receive(conversation_id, "webchat", question, decide, when)
        urgent = n % 50 == 0
        reason = "urgent:distress" if urgent else "asked"
        topic = topics[n % len(topics)]
        changes = {
            "handoff_reason": reason,
            "priority": 2 if urgent else 0,
            "topic": topic,
            "step": 2 if topic else None,
        }
        move = StateMove(Move.URGENT if urgent else Move.ASK, "person", reason)
        queued = say("queued", language, position=n + 1, minutes=4 * (n + 1))  # type: ignore[arg-type]
        await store.answer(
            conversation_id, [NewReply(queued)], when,
            answered=message.id, changes=changes, move=move,
        )  # fmt: skip
        if (n + 1) % 250 == 0:
            print(f"    {n + 1}/{count} waiting", flush=True)


def procedure_ids() -> list[str]:
    """The procedures' ids, as the brain reports topics."""
    ids = []
    for path in sorted((ROOT / "content" / "procedures").glob("*.yml")):
        procedure = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(procedure.get("id"), str):
            ids.append(procedure["id"])
    return ids


async def time_page(agent: Agent, path: str, series: Series, warm_up: int, count: int) -> str:
    """GET `path` as `agent`, one request at a time: `warm_up` unmeasured, then `count`."""
    body = ""
    for i in range(warm_up + count):
        started = time.perf_counter()
        async with agent.http.get(path) as response:
            body = await checked(response, 200)
        if i >= warm_up:
            series.latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.05)
    return body


async def measure_pages(
    clients: Clients, store: ConversationStore, options: argparse.Namespace
) -> list[Series]:
    """The queue page with `options.waiting` more conversations waiting; a conversation page."""
    print(f"  putting {options.waiting} conversations in the queue (through the store)...",
          flush=True)  # fmt: skip
    began = time.monotonic()
    await fill_queue(store, clients.hub, options.waiting)
    print(f"    done in {time.monotonic() - began:.1f} s", flush=True)
    entries, total = await store.handed_over()
    waiting = sum(1 for c in entries if c[0].state == State.WAITING_FOR_AGENT)
    agent = clients.agents[0]
    queue = Series("queue page GET /agent/", QUEUE_TARGET_MS)
    print(f"  timing the queue page ({options.page_requests} requests)...", flush=True)
    cpu = clients.hub.cpu_seconds()
    html = await time_page(agent, "/agent/", queue, 10, options.page_requests)
    queue.cpu_ms = 1000 * (clients.hub.cpu_seconds() - cpu) / (10 + options.page_requests)
    rows = html.count("<tr") - 1
    queue.note = (
        f"{waiting} waiting + {total - waiting} with agents; the page shows {rows} rows, "
        f"{len(html.encode()) / 1024:.0f} KiB"
    )
    person = clients.people[0]
    page = Series("conversation page GET /agent/conversations/{id}", None)
    messages = len(await store.messages(person.conversation_id, internal=True))
    print(f"  timing a conversation page ({options.page_requests} requests)...", flush=True)
    cpu = clients.hub.cpu_seconds()
    html = await time_page(
        person.agent, f"/agent/conversations/{person.conversation_id}", page, 10,
        options.page_requests,
    )  # fmt: skip
    page.cpu_ms = 1000 * (clients.hub.cpu_seconds() - cpu) / (10 + options.page_requests)
    page.note = f"{messages} messages, {len(html.encode()) / 1024:.0f} KiB"
    return [queue, page]


# --- a run ----------------------------------------------------------------------------


@dataclass
class DatabaseRun:
    """The figures for one database."""

    database: str
    series: list[Series]
    load_before: str
    load_after: str
    seconds: float
    server: str = ""
    errors: str = ""


@dataclass
class Run:
    """The whole benchmark."""

    runs: list[DatabaseRun]
    skipped: list[tuple[str, str]]  # database, why
    machine: dict[str, str]
    command: str
    date: str
    options: argparse.Namespace
    wall_seconds: float = 0.0


async def run_database(
    kind: str, options: argparse.Namespace, brain_url: str
) -> DatabaseRun | None:
    """One hub on `kind`'s database, set up, measured, stopped."""
    async with database(kind) as database_url:
        if database_url is None:
            return None
        with tempfile.TemporaryDirectory(prefix="loket-bench-handoff-") as data_dir:
            load_before = load_average()
            began = time.monotonic()
            profile = options.profile.with_suffix(f".{kind}.prof") if options.profile else None
            print(f"[{kind}] starting the hub...", flush=True)
            async with running_hub(Path(data_dir), database_url, brain_url, profile) as hub:
                url = database_url or f"sqlite+aiosqlite:///{Path(data_dir) / 'loket.sqlite3'}"
                store = ConversationStore(create_engine(url))
                clients = Clients(hub)
                try:
                    await set_up(clients, store, options)
                    print(f"[{kind}] measuring live messages: {options.samples} each way after "
                          f"{options.warm_up} each of warm-up, one every "
                          f"{1000 * options.interval:.0f} ms...", flush=True)  # fmt: skip
                    series = await measure_live(clients, options, options.samples, options.warm_up)
                    for s in series:
                        print(f"    {progress(s)}", flush=True)
                    pages = await measure_pages(clients, store, options)
                    for s in pages:
                        print(f"    {progress(s)}", flush=True)
                    if options.script_samples:
                        print(f"[{kind}] live messages again, the consoles refreshing the queue "
                              "page as console.js does...", flush=True)  # fmt: skip
                        pages += await measure_scripted(clients, options)
                        for s in pages[-3:]:
                            print(f"    {progress(s)}", flush=True)
                    server = await server_version(store) if database_url else ""
                finally:
                    await clients.close()
                    await store.close()
            if profile:
                print_profile(profile)
            log = (Path(data_dir) / "hub.log").read_text(errors="replace")
            return DatabaseRun(
                kind, series + pages, load_before, load_average(),
                time.monotonic() - began, server, hub_errors(log),
            )  # fmt: skip


async def server_version(store: ConversationStore) -> str:
    """PostgreSQL's version."""
    async with store.engine.connect() as connection:
        return str(await connection.scalar(text("SHOW server_version")))


def hub_errors(log: str) -> str:
    """What went wrong in the hub, from its log: how many errors, and their exceptions."""
    errors = log.count(" ERROR ")
    if not errors:
        return "none"
    causes: dict[str, int] = {}
    for block in log.split(" ERROR ")[1:]:
        raised = EXCEPTION_LINE.findall(block)
        cause = raised[-1][:100] if raised else block.splitlines()[0][:100]
        causes[cause] = causes.get(cause, 0) + 1
    return f"{errors}: " + "; ".join(f"{n} x `{cause}`" for cause, n in causes.items())


def print_profile(path: Path) -> None:
    """The hub's hottest functions, by own time and by cumulative time."""
    print(f"\nProfile of the hub ({path}):", flush=True)
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def progress(series: Series) -> str:
    """One line about a measure."""
    return (
        f"{series.name}: {len(series.latencies)} samples, lost {series.lost}, "
        f"median {series.ms():.1f} ms, p95 {series.ms(95):.1f} ms, p99 {series.ms(99):.1f} ms, "
        f"max {series.ms(100):.1f} ms"
    )


async def benchmark(options: argparse.Namespace) -> Run:
    """Every database in turn, with the stand-in brain in this process."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    if not OfficeHours(settings.office_hours, settings.closed_days).is_open(PINNED):
        raise RuntimeError(f"{PINNED} is not in the default office hours")
    brain = FakeBrain()
    port = await brain.start()
    runs: list[DatabaseRun] = []
    skipped: list[tuple[str, str]] = []
    try:
        for kind in options.databases:
            try:
                done = await run_database(kind, options, f"http://127.0.0.1:{port}")
            except RuntimeError as error:  # the hub did not start, or answered wrong
                print(f"[{kind}] FAILED: {error}", file=sys.stderr, flush=True)
                skipped.append((kind, f"failed: {str(error).splitlines()[0]}"))
                continue
            if done is None:
                skipped.append((kind, f"skipped, no server answered at {POSTGRES}"))
            else:
                runs.append(done)
    finally:
        await brain.stop()
    return Run(
        runs, skipped, machine(), options.command,
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), options,
    )  # fmt: skip


def machine() -> dict[str, str]:
    """The machine and software the figures were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), "?")
    return {
        "CPU": cpu,
        "cores (nproc)": f"{os.cpu_count()} logical, {psutil.cpu_count(logical=False)} physical",
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "system": platform.platform(),
        "hub": f"Python {platform.python_version()}, aiohttp {version('aiohttp')}, "
        f"SQLAlchemy {version('sqlalchemy')}, SQLite {sqlite3.sqlite_version}",
    }


# --- the report -----------------------------------------------------------------------


def render(run: Run) -> str:
    """The Markdown section of docs/benchmarks.md."""
    o = run.options
    lines = [
        "## Human handoff: live messages and the agents' queue",
        "",
        f"Issue 8's goal, on this machine: with {o.conversations} web chat conversations held "
        f"by agents and {o.agents} agents' consoles open, a person's message reaches the "
        f"console of the agent who holds the conversation, and an agent's reply reaches the "
        f"person's page, with a p95 of at most {LIVE_TARGET_MS:.0f} ms each way; the queue "
        f"page renders in at most {QUEUE_TARGET_MS:.0f} ms with {o.waiting:,} conversations "
        "waiting.",
        "",
        "How: the hub runs in a process of its own (`benchmarks/handoff_hub.py`: `loket "
        "serve` with its clock pinned on Tuesday 1 December 2026, 10:00 in Brussels, moving "
        "on from there), so the load generator (this script, one asyncio process) does not "
        "share its event loop; the brain is the tests' stand-in (`tests/fakes.py`), which "
        "is never asked while an agent holds a conversation. Everything goes over HTTP as "
        f"browsers would: {o.agents} accounts made with `accounts.add_agent` sign in through "
        "the form (cookie + CSRF token), switch to available and each hold `GET "
        f"/agent/events` open; {o.conversations} people post `/request_human` on the web "
        "chat API, each hold `GET /api/conversations/{id}/events` open, and the agents take "
        f"the conversations with the console's take action ({o.conversations // o.agents} each, "
        "round robin). Then, open loop, one "
        f"message every {1000 * o.interval:.0f} ms alternating the two directions "
        f"({1 / o.interval:.0f} messages/s in all), {o.warm_up} each unmeasured first, "
        f"{o.samples} each measured:",
        "",
        "- person -> console: from just before `POST /api/conversations/{id}/messages` to "
        "the `change` event for that conversation on the stream of the console holding it "
        "(every console gets every message's event: the queue topic);",
        "- agent -> person: from just before the console's `POST "
        "/agent/conversations/{id}/reply` (CSRF header, as the console's script posts it) "
        "to the `message` event on the person's stream;",
        f"- then {o.waiting:,} more conversations are put in the queue straight through the "
        "store (question, handoff, queue reply; 2 % urgent, waiting up to 50 minutes), and "
        f"`GET /agent/` is timed as a signed-in agent, {o.page_requests} requests one at a "
        f"time after 10 unmeasured; the {o.conversations} conversations with agents stay on "
        "the page too. A conversation page is timed the same way, for information.",
        *(
            [
                f"- last, {o.script_samples} more messages each way (after 10 unmeasured) "
                "while every console shows the queue page and does what `static/console.js` "
                "does there: fetch the page again 1 s after a change of the queue, 5 s after a "
                "message in some conversation, one fetch at a time. The measures above hold "
                "the consoles' streams open without the script; this one is what agents with "
                "the queue open would cause."
            ]
            if o.script_samples
            else []
        ),
        "",
        "Lost: a message that did not arrive within 10 s, or a request that failed (for the "
        "refreshes: not 200). Hub CPU is the hub process's CPU time per message (or per page) "
        "during the measure, the 10 unmeasured pages included.",
        "",
        f"Measured {run.date}, wall time {run.wall_seconds:.0f} s:",
        "",
        f"    {run.command}",
        "",
        "| database | measure | samples | lost | median (ms) | p95 (ms) | p99 (ms) | max (ms) "
        "| hub CPU (ms) | goal |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for db in run.runs:
        for s in db.series:
            goal = (
                "(information)" if s.target_ms is None
                else f"p95 ≤ {s.target_ms:.0f} ms: {'**met**' if s.met else '**MISSED**'}"
            )  # fmt: skip
            cpu = "" if s.cpu_ms != s.cpu_ms else f"{s.cpu_ms:.1f}"  # NaN: not measured
            lines.append(
                f"| {db.database} | {s.name} | {len(s.latencies)} | {s.lost} | {s.ms():.1f} "
                f"| {s.ms(95):.1f} | {s.ms(99):.1f} | {s.ms(100):.1f} | {cpu} | {goal} |"
            )
    lines += ["", "Pages:", ""]
    for db in run.runs:
        for s in db.series:
            if s.note:
                lines.append(f"- {db.database}, {s.name}: {s.note}")
    lines += ["", "Machine and load:", ""]
    lines += [f"- {key}: {value}" for key, value in run.machine.items()]
    for db in run.runs:
        server = f" (PostgreSQL {db.server})" if db.server else ""
        lines.append(
            f"- {db.database}{server}: load average (1, 5, 15 min) {db.load_before} before, "
            f"{db.load_after} after ({db.seconds:.0f} s, includes this benchmark)"
        )
    for db in run.runs:
        lines.append(f"- {db.database}: errors in the hub's log: {db.errors}")
    for kind, reason in run.skipped:
        lines.append(f"- {kind}: {reason}")
    return "\n".join(map(wrap_prose, lines))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.handoff", description=__doc__.split("\n\n")[0]
    )
    add = parser.add_argument
    add("--samples", type=int, default=300, help="measured messages each way (default 300)")
    add("--warm-up", type=int, default=20, help="unmeasured messages each way first (default 20)")
    add(
        "--interval",
        type=float,
        default=0.05,
        help="seconds between two messages, both directions together (default 0.05)",
    )
    add("--agents", type=int, default=20, help="signed-in consoles (default 20)")
    add("--conversations", type=int, default=200, help="conversations with agents (default 200)")
    add("--waiting", type=int, default=1000, help="conversations waiting (default 1000)")
    add("--page-requests", type=int, default=50, help="timed page requests (default 50)")
    add("--script-samples", type=int, default=100,
        help="messages each way with the consoles refreshing the queue page as console.js "
        "does (default 100; 0: skip)")  # fmt: skip
    add(
        "--databases",
        nargs="+",
        choices=("sqlite", "postgres"),
        default=["sqlite", "postgres"],
        help="default: both; PostgreSQL is skipped when no server answers",
    )
    add(
        "--profile",
        type=Path,
        help="profile the hub with cProfile into PATH.<database>.prof "
        "and print its hottest functions",
    )
    add("--out", type=Path, default=ROOT / "docs" / "benchmarks.md",
        help="the Markdown file whose handoff section is rewritten")  # fmt: skip
    options = parser.parse_args(argv)
    if min(options.samples, options.agents, options.conversations, options.page_requests) < 1:
        parser.error("--samples, --agents, --conversations and --page-requests must be positive")
    if options.conversations < options.agents or options.interval <= 0:
        parser.error("need at least one conversation per agent and a positive --interval")
    options.command = command_line("benchmarks.handoff", argv)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print its section and write it to the document."""
    options = parse_args(argv)
    began = time.monotonic()
    try:
        run = asyncio.run(benchmark(options))
    except KeyboardInterrupt:
        print("Interrupted; the hub was stopped.", file=sys.stderr)
        return 130
    run.wall_seconds = time.monotonic() - began
    section = render(run)
    update_document(options.out, section, SECTION)
    print(f"\n{section}\n\nWritten to {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
