"""`loket demo seed`: a realistic week of conversations, so a newcomer sees a living dashboard.

Scripted people talk to the REAL brain (the Rasa server and action server at the
settings' `rasa_url`, started by `make run`) through the hub's own ConversationService,
as the channels do: in French, Dutch and English, on the web chat, the phone (some
callers only press keys), SMS, WhatsApp and Telegram. They ask about procedures and go
through their steps, ask for a person (handoffs, then a callback), report problems with
online services, and ask things Loket is not made for. Their words are the brain's own
training examples (nlu/) and tools/demo_people.yml; what Loket answers, understands or
not, is the brain's.

No row is written by hand and nothing is back-dated afterwards: the service's clock is set
to each conversation's moment, spread over the last 7 days as the dashboard counts them
(today and the 6 days before, UTC), about three in four in office hours. Every row thus
carries its moment (messages, handoffs, callbacks, problem reports), and office hours
decide as they would have then: the queue by day, a callback offer in the evening.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from tqdm import tqdm

from bot.brain import BrainClient
from bot.channels import webchat
from bot.channels.phone.call import GREET, KEY_PAYLOADS
from bot.channels.telegram import channel as telegram
from bot.console import accounts
from bot.conversations.inbound import (
    PHONE_CHANNEL,
    SMS_CHANNEL,
    WHATSAPP_CHANNEL,
    WHATSAPP_PREFIX,
    InboundMessage,
)
from bot.conversations.model import CallbackStatus
from bot.conversations.office_hours import BRUSSELS, OfficeHours
from bot.conversations.service import ConversationService
from bot.conversations.store import ConversationStore, create_engine
from bot.migrations import upgrade
from bot.settings import ROOT, Language, Settings
from nlu.examples import plain_text, read_examples

PEOPLE_FILE = Path(__file__).with_name("demo_people.yml")
NLU_DIR = ROOT / "nlu"
DEFAULT_CONVERSATIONS = 150
DAYS = 7
BRAIN_WAIT_SECONDS = 30.0  # a cold brain answers its first messages slowly
PROBE_SECONDS = 3.0
WEBCHAT, TELEGRAM = webchat.CHANNEL, telegram.CHANNEL
CHANNELS = {WEBCHAT: 45, PHONE_CHANNEL: 30, SMS_CHANNEL: 8, WHATSAPP_CHANNEL: 12, TELEGRAM: 5}
LANGUAGES: dict[Language, int] = {"fr": 50, "nl": 25, "en": 25}
KINDS = {"procedure": 45, "menu": 10, "handoff": 15, "report": 12, "not_understood": 18}
KEYPAD_ONLY = 0.4  # of phone calls: the caller only presses keys
OUT_OF_HOURS = 0.3  # chance to keep a moment outside office hours (by night: a tenth of it)
NEXT_KEY, HUMAN_KEY = "1", "0"  # the first option of a menu; a person, on the phone
CALLED_BACK = 0.85  # of the callbacks settled: reached; the others failed


class BrainNotRunning(Exception):
    """The brain does not answer: the seed needs the real one."""


@dataclass(frozen=True)
class Script:
    """One person's conversation: where, in which language, what they say in turn."""

    channel: str
    language: Language
    kind: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class Seeded:
    """What a seed made: conversations by kind of script, callbacks settled."""

    kinds: Counter[str]
    callbacks_settled: int


class Words:
    """What people say: the brain's training examples by intent, and tools/demo_people.yml."""

    def __init__(self, nlu_dir: Path = NLU_DIR, people_file: Path = PEOPLE_FILE) -> None:
        self._examples: dict[tuple[str, str], list[str]] = {}
        for language in LANGUAGES:
            for path in [nlu_dir / f"{language}.yml", *sorted(nlu_dir.glob(f"*-{language}.yml"))]:
                for intent, line in read_examples(path):
                    self._examples.setdefault((language, intent), []).append(plain_text(line))
        self.people: dict[str, Any] = yaml.safe_load(people_file.read_text(encoding="utf-8"))

    def examples(self, language: str, intent: str) -> list[str]:
        """The brain's own examples of `intent` in `language`, without entity markup."""
        return self._examples[(language, intent)]

    def said(self, rng: random.Random, language: str, intent: str) -> str:
        """One of the brain's own examples of `intent` in `language`."""
        return rng.choice(self.examples(language, intent))

    def procedure(self, rng: random.Random, language: str) -> str:
        """How someone asks about one of the procedures, chosen at random."""
        intents = sorted(
            {i for lang, i in self._examples if lang == language and i.startswith("proc_")}
        )
        return self.said(rng, language, rng.choice(intents))

    def person(self, rng: random.Random, part: str, language: str) -> Any:
        """A random entry of demo_people.yml's `part` in `language`."""
        return rng.choice(self.people[part][language])


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _number(rng: random.Random) -> str:
    """A Belgian mobile number, made up."""
    return f"+324{rng.randint(70, 99)}{rng.randint(0, 999_999):06d}"


def script(rng: random.Random, words: Words, kind: str | None = None) -> Script:
    """One person's conversation: of `kind`, else of a kind chosen by the weights above."""
    channel, language = _weighted(rng, CHANNELS), _weighted(rng, LANGUAGES)
    if kind is None and channel == PHONE_CHANNEL and rng.random() < KEYPAD_ONLY:
        return Script(channel, language, "keypad", _keypad_call(rng))
    kind = kind or _weighted(rng, KINDS)
    texts = _SCRIPTS[kind](rng, words, language, channel)
    if channel == PHONE_CHANNEL:
        texts = [GREET, *texts]
    return Script(channel, language, kind, tuple(texts))


def _keypad_call(rng: random.Random) -> tuple[str, ...]:
    """Keys only: the topics, a category, a procedure, its steps; sometimes a person."""
    keys = [NEXT_KEY] * rng.randint(3, 6)
    if rng.random() < 0.2:
        keys += [KEY_PAYLOADS[HUMAN_KEY], NEXT_KEY, NEXT_KEY]
    return (GREET, *keys)


def _procedure(rng: random.Random, words: Words, language: str, _: str) -> list[str]:
    """A procedure asked in their words, a few of its steps, thanks or goodbye."""
    steps = [words.said(rng, language, "step_next") for _ in range(rng.randint(0, 3))]
    ending = words.said(rng, language, rng.choice(["thank", "goodbye"]))
    return [words.procedure(rng, language), *steps, ending]


def _menu(rng: random.Random, words: Words, language: str, _: str) -> list[str]:
    """Hello, then the menu by numbers: a category, a procedure, its next step."""
    greeting = words.said(rng, language, "greet")
    return [greeting, NEXT_KEY, str(rng.randint(1, 3)), words.said(rng, language, "step_next")]


def _handoff(rng: random.Random, words: Words, language: str, channel: str) -> list[str]:
    """A procedure, then a person; then yes to a callback (on their own number when the
    channel has one, else a typed one) at the first half-day offered."""
    number = NEXT_KEY if channel in (PHONE_CHANNEL, SMS_CHANNEL, WHATSAPP_CHANNEL) else (
        _number(rng).replace("+32", "0"))  # fmt: skip
    asked = words.said(rng, language, "request_human")
    return [words.procedure(rng, language), asked, NEXT_KEY, number, NEXT_KEY]


def _report(rng: random.Random, words: Words, language: str, _: str) -> list[str]:
    """A report: which service and what went wrong by number, their words, no answer or
    an answer where they wrote."""
    told = words.person(rng, "problems", language) if rng.random() < 0.7 else "/report_skip"
    contact = rng.choice(["/report_contact:none", "/report_contact:channel"])
    start = words.person(rng, "report", language)
    return [start, str(rng.randint(1, 5)), str(rng.randint(1, 5)), told, contact]


def _not_understood(rng: random.Random, words: Words, language: str, _: str) -> list[str]:
    """One or two vague questions (demo_people.yml), then goodbye."""
    asked = [
        rng.choice(words.person(rng, "not_understood", language)) for _ in range(rng.randint(1, 2))
    ]
    return [*asked, words.said(rng, language, "goodbye")]


_SCRIPTS: dict[str, Callable[[random.Random, Words, str, str], list[str]]] = {
    "procedure": _procedure,
    "menu": _menu,
    "handoff": _handoff,
    "report": _report,
    "not_understood": _not_understood,
}


def moments(rng: random.Random, count: int, now: datetime, hours: OfficeHours) -> list[datetime]:
    """`count` moments from midnight (UTC) six days ago to an hour ago, oldest first:
    about three in four in office hours, few by night."""
    start = datetime.combine(now.date() - timedelta(days=DAYS - 1), time(tzinfo=UTC))
    span = max((now - timedelta(hours=1) - start).total_seconds(), 3600.0)
    found: list[datetime] = []
    while len(found) < count:
        moment = start + timedelta(seconds=rng.uniform(0, span))
        night = not 7 <= moment.astimezone(BRUSSELS).hour < 22
        keep = OUT_OF_HOURS / (10 if night else 1)
        if hours.is_open(moment) or rng.random() < keep:
            found.append(moment)
    return sorted(found)


class SeedClock:
    """The service's clock: each conversation's moment, moved on at every message."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def brain_answers(settings: Settings) -> bool:
    """True when Rasa and the action server answer (Rasa's /status says 401 to a hub that
    does not know the token `make run` made: it still runs, and its webhook needs none)."""
    probes = ((f"{settings.rasa_url}/status", (200, 401)),
              (f"{settings.action_server_url}/health", (200,)))  # fmt: skip
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=PROBE_SECONDS)) as http:
        for url, fine in probes:
            try:
                async with http.get(url) as response:
                    if response.status not in fine:
                        return False
            except (aiohttp.ClientError, TimeoutError):
                return False
    return True


def not_running(settings: Settings) -> BrainNotRunning:
    """What to do when the brain is not there."""
    return BrainNotRunning(
        f"The brain does not answer (Rasa at {settings.rasa_url}, its action server at "
        f"{settings.action_server_url}). Start it with `make run`, then run "
        "`loket demo seed` again in another terminal."
    )


async def seed(
    settings: Settings, count: int = DEFAULT_CONVERSATIONS, rng_seed: int | None = None,
    now: datetime | None = None, progress: bool = True,
) -> Seeded:  # fmt: skip
    """Run `count` scripted conversations through the real brain; what was made."""
    if not await brain_answers(settings):
        raise not_running(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(upgrade, settings.database)
    rng, words = random.Random(rng_seed), Words()
    wait = {
        "brain_timeout": max(settings.brain_timeout, BRAIN_WAIT_SECONDS),
        "brain_request_timeout": max(settings.brain_request_timeout, BRAIN_WAIT_SECONDS),
    }
    patient = settings.model_copy(update=wait)
    clock = SeedClock(now or datetime.now(UTC))
    store, brain = ConversationStore(create_engine(settings.database)), BrainClient(patient)
    service = ConversationService(store, brain, patient, clock=clock)
    done: Counter[str] = Counter()
    now, seeded = clock.now, set()
    try:
        when = moments(rng, count, now, service.office_hours)
        # One of each kind first, so that every kind shows whatever the draws give.
        kinds = [*KINDS, *[None] * count][:count]
        for moment, kind in zip(
            tqdm(when, desc="Conversations", unit="", disable=not progress), kinds, strict=True
        ):
            clock.now = moment
            person = script(rng, words, kind)
            seeded.add(await converse(service, person, clock, rng, settings))
            done[person.kind] += 1
        settled = await call_back(service, seeded, clock, rng, now)
    finally:
        await service.close()
        await brain.close()
        await store.close()
    return Seeded(done, settled)


async def converse(
    service: ConversationService, person: Script, clock: SeedClock, rng: random.Random,
    settings: Settings,
) -> str:  # fmt: skip
    """One conversation, message after message, a few seconds apart on the clock; its id."""
    conversation_id = await _open(service, person, rng, settings)
    for text in person.texts:
        clock.now += timedelta(seconds=rng.uniform(8, 60))
        inbound = InboundMessage(conversation_id, person.channel, text, language=person.language)
        if (await service.handle(inbound)).held:
            raise not_running(settings)
    if person.channel == PHONE_CHANNEL:
        clock.now += timedelta(seconds=5)
        await service.end_call(conversation_id)
    return conversation_id


async def call_back(
    service: ConversationService, seeded: set[str], clock: SeedClock, rng: random.Random,
    now: datetime,
) -> int:  # fmt: skip
    """The demo account (`make run` makes it) settles the seeded callbacks a few hours after
    they were asked, when that is before `now`: most done, some failed. Without the account
    they stay to do. How many were settled."""
    agents = await accounts.list_agents(service.store.session)
    demo = next((agent for agent in agents if agent.name == accounts.DEMO_NAME), None)
    if demo is None:
        return 0
    settled = 0
    for callback in await service.desk.callbacks(CallbackStatus.REQUESTED):
        clock.now = callback.created_at + timedelta(hours=rng.uniform(1, 30))
        if callback.conversation_id in seeded and clock.now < now:
            outcome = CallbackStatus.DONE if rng.random() < CALLED_BACK else CallbackStatus.FAILED
            await service.desk.settle_callback(callback.id, demo, outcome, "")
            settled += 1
    return settled


async def _open(
    service: ConversationService, person: Script, rng: random.Random, settings: Settings
) -> str:
    """The conversation's id, as its channel would make it (with the person's number)."""
    if person.channel == WEBCHAT:
        return f"demo-{secrets.token_hex(8)}"
    if person.channel == PHONE_CHANNEL:
        conversation_id = f"call-CA{secrets.token_hex(16)}"
        await service.start_call(conversation_id, _number(rng))
        return conversation_id
    number = _number(rng)
    contact = {WHATSAPP_CHANNEL: f"{WHATSAPP_PREFIX}{number}",
               TELEGRAM: str(rng.randint(10**8, 10**10))}.get(person.channel, number)  # fmt: skip
    quiet = timedelta(minutes=settings.messaging_quiet_minutes)
    return await service.conversation_at(person.channel, contact, quiet)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`loket demo seed [--conversations N] [--seed S]`."""
    actions = parser.add_subparsers(dest="demo_action", required=True)
    seeding = actions.add_parser(
        "seed",
        help="fill the database with a week of conversations made with the running brain "
        "(start it with `make run`)",
    )
    seeding.add_argument("--conversations", type=int, default=DEFAULT_CONVERSATIONS,
                         help=f"how many (default {DEFAULT_CONVERSATIONS})")  # fmt: skip
    seeding.add_argument("--seed", type=int, default=None,
                         help="the same number makes the same people and words again")  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Seed, then say what was made and where to see it; 1 when the brain is not there."""
    try:
        seeded = asyncio.run(seed(settings, args.conversations, args.seed))
    except BrainNotRunning as error:
        print(error, file=sys.stderr)
        return 1
    made = seeded.kinds.most_common()
    kinds = ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in made)
    print(f"{seeded.kinds.total()} conversations over the last {DAYS} days ({kinds}); "
          f"{seeded.callbacks_settled} callbacks settled by the `demo` account.")  # fmt: skip
    print(f"See them at http://{settings.host}:{settings.port}/dashboard (an operator's or "
          "supervisor's account: `loket agent add NAME --role operator`).")  # fmt: skip
    return 0
