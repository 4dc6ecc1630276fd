"""The operators' dashboard with 100,000 conversations in PostgreSQL (issue 13).

Goal: GET /agent/dashboard renders in at most 300 ms (p95) for the default period (the
last 7 days) with 100,000 conversations over 30 days in the database.

How: a throw-away database on the local PostgreSQL server (LOKET_TEST_POSTGRES_URL, as
tests/databases.py), migrated, then filled with COPY (asyncpg): conversations on every
channel and language, a fifth of them calls, some handed over, each with its person's
and bot's messages, some not understood, and callbacks. The hub runs in this process
(aiohttp's test server, no brain needed); an operator signs in through the form and
the page is fetched one request at a time, after unmeasured ones. Writes its section of
docs/benchmarks.md and prints it.

    .venvs/hub/bin/python -m benchmarks.dashboard [--conversations 100000] [--requests 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from benchmarks.handoff import database, machine
from benchmarks.web_chat import percentile, update_document
from bot.app import create_app
from bot.appkeys import service_key
from bot.console import accounts
from bot.conversations import reports as problem_reports
from bot.migrations import upgrade
from bot.settings import ROOT, Settings
from tests.console import csrf_token

SECTION = ("<!-- dashboard:start -->", "<!-- dashboard:end -->")
TARGET_MS = 300.0
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
CHANNELS = ("webchat", "webchat", "phone", "sms", "whatsapp", "telegram")
LANGUAGES = ("fr", "fr", "nl", "en")
TOPICS = ("housing", "id_card", "parking", "residence", "social_aid", None)
REASONS = ("asked_for_person", "not_understood", "urgent:violence", "complex")
UNKNOWN = (
    "mon permis de conduire est perdu {n}",
    "ik heb een vraag over mijn pensioen {n}",
    "can I pay the tax with a card {n}",
    "où est la maison communale de {n}",
)
PASSWORD = "a long enough password"


def conversations(count: int, rng: random.Random) -> list[tuple[object, ...]]:
    """Rows of conversations, spread over the 30 days before NOW."""
    rows = []
    for n in range(count):
        created = NOW - timedelta(seconds=rng.uniform(0, 30 * 86400))
        handed = rng.random() < 0.15
        rows.append((
            f"c{n:07d}", rng.choice(CHANNELS), rng.choice(LANGUAGES), "default",
            "closed", 0, "{}", created, created + timedelta(minutes=5),
            created if handed else None, rng.choice(REASONS) if handed else None,
            rng.choice(TOPICS),
        ))  # fmt: skip
    return rows


def messages(convs: Sequence[tuple[object, ...]], rng: random.Random) -> list[tuple[object, ...]]:
    """Two exchanges per conversation; 3 % of the person's messages not understood;
    on a call, half the people only press keys."""
    rows = []
    for conv in convs:
        cid, channel, language, created = conv[0], conv[1], conv[2], conv[7]
        keys = channel == "phone" and rng.random() < 0.5
        for turn in range(2):
            at = created + timedelta(seconds=30 * turn)  # type: ignore[operator]
            missed = rng.random() < 0.03
            said = rng.choice(UNKNOWN).format(n=rng.randint(1, 50)) if missed else "rendez-vous"
            said = str(rng.randint(1, 4)) if keys else said
            rows.append((cid, "person", said, "[]", language, "answered", at, False, not missed))
            rows.append((cid, "bot", "Voici la réponse.", "[]", language, "sent", at, False, None))
    return rows


def reports(convs: Sequence[tuple[object, ...]], rng: random.Random) -> list[tuple[object, ...]]:
    """A problem report in one conversation of 20, on the services and categories of
    content/problem_reports.yml, in every status."""
    services = [choice.id for choice in problem_reports.services()]
    categories = [choice.id for choice in problem_reports.categories()]
    return [
        (f"B{n:07d}", conv[0], conv[1], conv[2], rng.choice(services), rng.choice(categories),
         "It says error 500.", "none", rng.choice(["new", "forwarded", "closed"]), None,
         conv[7], conv[7])
        for n, conv in enumerate(convs[::20])
    ]  # fmt: skip


async def fill(url: str, count: int) -> float:
    """Migrate and fill the database; returns the seconds it took."""
    started = time.perf_counter()
    await asyncio.to_thread(upgrade, url)
    rng = random.Random(13)
    convs = conversations(count, rng)
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        columns = ["id", "channel", "language", "language_source", "state", "priority",
                   "flow_data", "created_at", "updated_at", "handoff_requested_at",
                   "handoff_reason", "topic"]  # fmt: skip
        await connection.copy_records_to_table("conversations", records=convs, columns=columns)
        await connection.copy_records_to_table("messages", records=messages(convs, rng), columns=[
            "conversation_id", "author", "text", "buttons", "language", "status", "created_at",
            "internal", "understood"])  # fmt: skip
        callbacks = [
            (conv[0], "callback", conv[2], "done" if n % 3 else "requested", conv[7],
             conv[7] + timedelta(hours=rng.uniform(1, 48)) if n % 3 else None)  # type: ignore[operator]
            for n, conv in enumerate(convs[:: max(1, count // 2000)])
        ]  # fmt: skip
        await connection.copy_records_to_table("callbacks", records=callbacks, columns=[
            "conversation_id", "kind", "language", "status", "created_at", "done_at"])  # fmt: skip
        await connection.copy_records_to_table("problem_reports", records=reports(convs, rng),
            columns=["reference", "conversation_id", "channel", "language", "service",
                     "category", "description", "contact", "status", "filed_by",
                     "created_at", "updated_at"])  # fmt: skip
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


async def measure(url: str, requests: int, warm_up: int, data_dir: Path) -> tuple[list[float], int]:
    """Sign in as an operator, then time the dashboard; returns (milliseconds, page bytes)."""
    settings = Settings(data_dir=data_dir, database_url=url, _env_file=None)
    async with TestClient(TestServer(create_app(settings, clock=lambda: NOW))) as hub:
        sessions = hub.app[service_key].store.session
        await accounts.add_agent(sessions, "olga", PASSWORD, "operator", "en")
        token = csrf_token(await (await hub.get("/agent/sign-in")).text())
        form = {"name": "olga", "password": PASSWORD, "csrf_token": token, "next": "/agent/"}
        signed = await hub.post("/agent/sign-in", allow_redirects=False, data=form)
        assert signed.status == 303, signed.status
        timings, size = [], 0
        for n in range(warm_up + requests):
            started = time.perf_counter()
            response = await hub.get("/agent/dashboard")
            body = await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status == 200, response.status
            size = len(body)
            if n >= warm_up:
                timings.append(elapsed)
    return timings, size


def render(options: argparse.Namespace, timings: list[float], fill_s: float, size: int) -> str:
    """The Markdown section."""
    p95 = percentile(timings, 95)
    verdict = "**met**" if p95 <= TARGET_MS else "**not met**"
    rows = "\n".join(f"- {key}: {value}" for key, value in machine().items())
    return "\n".join([
        "## Operators' dashboard: conversations in PostgreSQL",
        "",
        f"Issue 13's goal: `GET /agent/dashboard` (default period, last 7 days) renders in at "
        f"most {TARGET_MS:.0f} ms with {options.conversations:,} conversations in PostgreSQL.",
        "",
        f"How: a throw-away database, migrated, filled by COPY in {fill_s:.1f} s with "
        f"{options.conversations:,} conversations over 30 days (6 channels, 3 languages, 15 % "
        "handed over, a sixth of them calls, half of those keypad only), 4 messages each (3 % "
        "of the person's not understood), callbacks and a problem report in one conversation "
        "of 20; then ANALYZE. The hub runs in the benchmark's process (aiohttp test server); "
        "an operator signs in through the form; "
        f"{options.requests} requests one at a time after {options.warm_up} unmeasured.",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC:",
        "",
        "    .venvs/hub/bin/python -m benchmarks.dashboard",
        "",
        "| requests | median (ms) | p95 (ms) | max (ms) | page (KiB) | goal |",
        "|---:|---:|---:|---:|---:|---|",
        f"| {len(timings)} | {statistics.median(timings):.1f} | {p95:.1f} | {max(timings):.1f} "
        f"| {size / 1024:.0f} | p95 ≤ {TARGET_MS:.0f} ms: {verdict} |",
        "",
        "Machine:",
        "",
        rows,
    ])  # fmt: skip


async def run(options: argparse.Namespace) -> int:
    """Fill, measure, write."""
    async with database("postgres") as url:
        if url is None:
            return 1
        fill_s = await fill(url, options.conversations)
        with tempfile.TemporaryDirectory() as data_dir:
            timings, size = await measure(url, options.requests, options.warm_up, Path(data_dir))
    section = render(options, timings, fill_s, size)
    update_document(options.out, section, SECTION)
    print(section)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warm-up", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
