"""Load and faults: web chats and phone calls at once, while the brain and the database fail.

Starts what `loket run` starts, on a fresh PostgreSQL database reached through a proxy
that can cut it off (benchmarks/db_cut.py): the Rasa server and the action server
(restarted when they die, as the launcher restarts them; Rasa's trackers in the same
database) and the hub in a process of its own, its phone line on (as benchmarks/phone.py
starts it). Then, for `--seconds`:

- `--chats` people in the web chat, each walking a procedure in French, Dutch or English
  (its topic's button, "next" up to the last step, "thank you"; then a new conversation
  with a new 128-bit id), reading a few seconds between messages. Each message has its
  own `Idempotency-Key` and is sent again with it after a network error or a 503, as the
  API document asks (after 1, 3 and 8 s, as the chat page does). After a holding reply,
  the person waits for the late answer on the conversation's live stream.
- `--calls` callers calling again and again (benchmarks/phone.py's calls: a language on
  the keypad, then sentences through real Vosk).
- In the middle of it: SIGKILL to the Rasa server, then to the action server, then the
  database cut off for 10 s, each once the system is back from the one before.

At the end, every conversation's transcript (GET /api/conversations/{id}), the hub's
database and Rasa's tracker store are checked: every person message stored once and
answered once, in order, each "next" one step further. Writes its section of
docs/reliability.md and prints it.

    .venvs/hub/bin/python -m benchmarks.load_faults [--seconds 300] [--chats 200] [--calls 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from actions.catalogue import Procedure, default_content_dir, load_catalogue
from benchmarks.handoff import POSTGRES, database
from benchmarks.phone import (
    ANSWER_TIMEOUT,
    Caller,
    PhoneHub,
    answer_delays,
    caller_speech,
    callers,
    make_call,
    ms,
    phone_env,
    speech_spans,
)
from benchmarks.web_chat import (
    HOLDING_PREFIXES,
    Processes,
    command_line,
    free_port,
    load_average,
    machine,
    percentile,
    run_and_write,
    running_brain,
    running_hub,
    wrap_prose,
)
from bot.brain import MESSAGE_ID, BrainClient
from bot.channels.phone import speech as phone_speech
from bot.launcher import Child, wait_until_ready
from bot.settings import LANGUAGES, ROOT, Language, Settings
from bot.texts import all_texts
from tests.integration.test_conversations import LABEL, NEXT
from tests.sse import read_event
from tools.phone_simulator import PhoneCall

SECTION = ("<!-- load_faults:start -->", "<!-- load_faults:end -->")
THANKS: dict[Language, str] = {"fr": "merci beaucoup", "nl": "dank u wel", "en": "thank you"}
RESEND_DELAYS = (1.0, 3.0, 8.0)  # bot/web/static/chat.js: RESEND_DELAYS_MS
RESENT_STATUSES = (0, 503)  # 0: no answer (network error); 503: "send it again" (the API)
POST_TIMEOUT = aiohttp.ClientTimeout(total=60)  # chat.js: POST_TIMEOUT_MS
STREAM_RETRY_SECONDS = 3.0  # the live stream's `retry`
LATE_ANSWER_TIMEOUT = 600.0  # a held person gives up waiting after this
CUT_SECONDS = 10.0
SETTLE_SECONDS = 15.0  # load before a fault and after a recovery, at least
# A caller calls again this long after a call ends or breaks, as a person dials again.
# At once, the new call came while the line's capacity still counted the last one (its
# stream not yet seen closed): "all lines are busy" with only 10 callers.
CALL_AGAIN_SECONDS = 5.0
HUB_LOG = Path(tempfile.gettempdir()) / "loket-load-faults-hub.log"  # kept after the run
WENT_WRONG = HUB_LOG.with_name("loket-load-faults-went-wrong.txt")  # every such transcript
PHONE_TURNS = 6
RSS_EVERY_SECONDS = 2.0
EXAMPLES = 3  # conversations that went wrong, shown on the console
STEADY = "steady"
RASA_KILLED, ACTIONS_KILLED, DATABASE_CUT = (
    "Rasa server killed", "action server killed", "database cut for 10 s",
)  # fmt: skip
BACK = {  # the phase that begins when the part is back
    RASA_KILLED: "Rasa server back", ACTIONS_KILLED: "action server back",
    DATABASE_CUT: "database back",
}  # fmt: skip
# How a late answer begins ("Thank you for waiting. Here is my answer to ...").
LATE_INTROS = [intro.split("{text}")[0] for intro in all_texts()["late_answer_intro"].values()]
STEP_LABEL = {
    language: re.compile(re.escape(label).replace(r"\{n\}", r"(\d+)").replace(r"\{total\}", r"\d+"))
    for language, label in LABEL.items()
}


# --- what the web chat people send, and what becomes of it -------------------------


@dataclass
class Sent:
    """One message a person sent in the web chat, and what became of it. Times: monotonic."""

    text: str
    phase: str
    at: float
    # Each attempt's HTTP status (0: no answer) and the phase it came back in.
    statuses: list[tuple[int, str]] = field(default_factory=list)
    latency: float | None = None  # first attempt -> the 200
    held: bool = False  # the 200 held a holding reply (or nothing): the answer comes later
    late_after: float | None = None  # held: first attempt -> the answer on the live stream
    # From the transcript at the end:
    answers: int = 0  # groups of replies to it (1: answered once)
    step: int | None = None  # the step its answer shows
    advance: int | None = None  # its step minus the step before (1), None for the thanks

    @property
    def accepted(self) -> bool:
        """The hub answered 200 to one of its attempts."""
        return any(status == 200 for status, _ in self.statuses)

    @property
    def answered(self) -> bool:
        """The person saw an answer, at once or after a holding reply."""
        return self.accepted and (not self.held or self.late_after is not None)

    def describe(self) -> str:
        """What became of it, in one line."""
        step = "" if self.advance is None else f", step {self.step} ({self.advance:+d})"
        return (
            f"sent {self.text!r} in {self.phase}: {self.statuses}, held {self.held}, "
            f"answered {self.answers} time(s){step}"
        )


@dataclass
class Chat:
    """One web chat conversation: its id, language, procedure and messages."""

    id: str
    language: Language
    procedure: Procedure
    sent: list[Sent] = field(default_factory=list)
    last_id: int = 0  # the newest message id the person has seen
    transcript_as_sent: bool | None = None  # None: not checked (transcript unreadable)
    transcript: Sequence[dict[str, Any]] = ()

    def went_wrong(self) -> bool:
        """A message lost, stored or answered twice, or a step skipped or stalled."""
        return self.transcript_as_sent is False or any(
            not s.answered or s.answers != 1 or s.advance not in (None, 1) for s in self.sent
        )

    def show(self) -> str:
        """The transcript, a line a message, for the person running the benchmark."""
        lines = [f"conversation {self.id} ({self.language}, {self.procedure.id}):"]
        lines += [f"  {m.get('author')}: {str(m.get('text'))[:90]!r}" for m in self.transcript]
        lines += [f"  {sent.describe()}" for sent in self.sent]
        return "\n".join(lines)


def walk(procedure: Procedure, language: Language) -> Iterator[str]:
    """What a person types to go through a procedure: its button, "next"s, thanks."""
    yield f"/{procedure.intent}"
    for _ in procedure.steps[1:]:
        yield NEXT[language]
    yield THANKS[language]


def shown_step(texts: Sequence[str], language: Language) -> tuple[int, ...]:
    """The step numbers the replies show ("Step 2 of 5")."""
    return tuple(int(m.group(1)) for t in texts for m in STEP_LABEL[language].finditer(t))


def is_holding(texts: Sequence[str]) -> bool:
    """The hub's holding reply: the brain did not answer in time."""
    return any(t.startswith(HOLDING_PREFIXES) for t in texts)


# --- the run's clock: phases and faults ---------------------------------------------


class Timeline:
    """When the load began and ends, and when each phase began."""

    def __init__(self, seconds: float) -> None:
        self.started = time.monotonic()
        self.phases: list[tuple[float, str]] = [(self.started, STEADY)]
        self.closing_at = self.started + seconds
        self.faults_done = asyncio.Event()
        self.held = 0  # people waiting for the answer to a held message

    async def caught_up(self) -> None:
        """Wait until nobody is waiting for a held message (bounded: they give up)."""
        deadline = time.monotonic() + LATE_ANSWER_TIMEOUT
        while self.held and time.monotonic() < deadline:  # noqa: ASYNC110 - a count, no event
            await asyncio.sleep(0.5)

    def begin(self, phase: str) -> None:
        """A fault is made, or its part is back: from now on, it is `phase`."""
        self.phases.append((time.monotonic(), phase))

    def phase(self) -> str:
        """The phase now."""
        return self.phases[-1][1]

    def over(self) -> bool:
        """The load stops: its time is up and every fault has been made and recovered."""
        return self.faults_done.is_set() and time.monotonic() >= self.closing_at

    def spans(self, ended: float) -> dict[str, tuple[float, float]]:
        """Each phase's (start, end), in seconds from the start of the load."""
        ends = [at for at, _ in self.phases[1:]] + [ended]
        return {
            name: (at - self.started, end - self.started)
            for (at, name), end in zip(self.phases, ends, strict=True)
        }


@dataclass(frozen=True)
class Fault:
    """A fault made during the load: when (seconds into the load), and how long until the
    part came back (the brain ready again; the database reachable again) and until the
    messages held meanwhile were answered."""

    phase: str
    at: float
    back_after: float
    caught_up_after: float  # until every message held meanwhile was answered


@dataclass
class System:
    """The processes under test and the knobs the faults turn."""

    hub: str
    hub_pid: int
    rasa: Child
    actions: Child
    proxy: asyncio.subprocess.Process
    settings: Settings

    def pids(self) -> dict[str, int]:
        """Each process's pid now (a restarted child has a new one)."""
        children = {c.spec.name: c.process.pid for c in (self.rasa, self.actions) if c.process}
        return {"hub": self.hub_pid, **children, "database proxy": self.proxy.pid} | {
            "load generator": os.getpid()
        }


async def kill(child: Child, settings: Settings) -> None:
    """SIGKILL a brain process, then wait until it has been restarted and the brain is ready."""
    old = child.process
    if old is None or old.returncode is not None:
        raise RuntimeError(f"{child.spec.name} is not running")
    old.send_signal(signal.SIGKILL)
    await old.wait()
    # The supervisor (Child.keep_running) starts a new one after RESTART_DELAY; it says
    # nothing when it does, so look.
    while child.process is old:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    brain = BrainClient(settings)
    try:
        readiness = await wait_until_ready(brain, settings.brain_start_timeout)
    finally:
        await brain.close()
    if not readiness.ready:
        raise RuntimeError(f"the brain did not come back after {child.spec.name}: {readiness}")


async def cut_database(proxy: asyncio.subprocess.Process) -> None:
    """Cut the database off for CUT_SECONDS (benchmarks/db_cut.py), then reconnect it."""
    proxy.send_signal(signal.SIGUSR1)
    await asyncio.sleep(CUT_SECONDS)
    proxy.send_signal(signal.SIGUSR2)


async def make_faults(system: System, timeline: Timeline, seconds: float) -> list[Fault]:
    """The three faults, a quarter of the time apart, each SETTLE_SECONDS at least after
    the system recovered from the one before (its part back, and every message held
    meanwhile answered); the load goes on SETTLE_SECONDS at least after the last."""
    faults: list[Fault] = []
    settled = timeline.started + SETTLE_SECONDS
    steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
        (RASA_KILLED, lambda: kill(system.rasa, system.settings)),
        (ACTIONS_KILLED, lambda: kill(system.actions, system.settings)),
        (DATABASE_CUT, lambda: cut_database(system.proxy)),
    ]
    try:
        for number, (phase, fault) in enumerate(steps, start=1):
            planned = timeline.started + seconds * number / (len(steps) + 1)
            due = max(planned, settled)
            await asyncio.sleep(max(due - time.monotonic(), 0.0))
            timeline.begin(phase)
            made = time.monotonic()
            print(f"  {made - timeline.started:5.0f} s  {phase}...", flush=True)
            await fault()
            back = time.monotonic()
            timeline.begin(BACK[phase])
            await timeline.caught_up()
            caught_up = time.monotonic()
            faults.append(Fault(phase, made - timeline.started, back - made, caught_up - made))
            print(
                f"  {back - timeline.started:5.0f} s  back after {back - made:.0f} s; "
                f"held messages answered after {caught_up - made:.0f} s",
                flush=True,
            )
            settled = caught_up + SETTLE_SECONDS
            timeline.closing_at = max(timeline.closing_at, settled)
    finally:  # a fault that went wrong ends the load too
        timeline.faults_done.set()
    return faults


# --- web chat people -----------------------------------------------------------------


async def post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], key: str
) -> tuple[int, list[dict[str, Any]]]:
    """One attempt: the HTTP status (0 for a network error or a timeout) and the replies."""
    try:
        async with session.post(
            url, json=body, headers={"Idempotency-Key": key}, timeout=POST_TIMEOUT
        ) as response:
            if response.status != 200:
                return response.status, []
            answer = await response.json()
            return 200, list(answer.get("replies") or [])
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return 0, []


async def send(
    session: aiohttp.ClientSession, hub: str, chat: Chat, text_: str, timeline: Timeline
) -> Sent:
    """Send one message as the chat page does; after a holding reply, wait for the answer."""
    sent = Sent(text_, timeline.phase(), time.monotonic())
    chat.sent.append(sent)
    url = f"{hub}/api/conversations/{chat.id}/messages"
    body, key = {"text": text_, "language": chat.language}, str(uuid.uuid4())
    replies: list[dict[str, Any]] = []
    for wait in (0.0, *RESEND_DELAYS):
        await asyncio.sleep(wait)
        started = timeline.phase()
        status, replies = await post(session, url, body, key)
        # A request under way while the database was cut off counts in the cut.
        sent.statuses.append(
            (status, DATABASE_CUT if started == DATABASE_CUT else timeline.phase())
        )
        if status not in RESENT_STATUSES:
            break
    if status != 200:
        return sent
    sent.latency = time.monotonic() - sent.at
    texts = [str(reply.get("text", "")) for reply in replies]
    if not texts or is_holding(texts):
        sent.held = True
        timeline.held += 1
        try:
            if await late_answer(session, hub, chat, text_):
                sent.late_after = time.monotonic() - sent.at
        finally:
            timeline.held -= 1
    else:
        chat.last_id = max([chat.last_id, *(int(reply["id"]) for reply in replies)])
    return sent


async def late_answer(session: aiohttp.ClientSession, hub: str, chat: Chat, text_: str) -> bool:
    """Wait on the conversation's live stream for a reply to the person's message `text_`
    that is not a holding reply, reconnecting as EventSource does; False if none came
    within LATE_ANSWER_TIMEOUT.

    The stream starts after the last message the person saw, so it may begin with the
    end of an earlier answer: a reply counts only after the person's own message.
    """
    deadline = time.monotonic() + LATE_ANSWER_TIMEOUT
    url = f"{hub}/api/conversations/{chat.id}/events"
    own_seen = False
    while time.monotonic() < deadline:
        try:
            async with session.get(
                url, params={"after": str(chat.last_id)}, timeout=aiohttp.ClientTimeout(total=None)
            ) as response:
                while response.status == 200:
                    event = await read_event(response, deadline - time.monotonic())
                    if event.kind != "message":
                        continue
                    chat.last_id = max(chat.last_id, int(event.id or 0))
                    message = event.data
                    if message.get("author") == "person":
                        own_seen = own_seen or message.get("text") == text_
                    elif own_seen and not is_holding([message["text"]]):
                        return True
        except (aiohttp.ClientError, EOFError, ValueError):
            pass
        except TimeoutError:
            return False
        await asyncio.sleep(STREAM_RETRY_SECONDS)
    return False


async def chat_person(
    session: aiohttp.ClientSession,
    hub: str,
    number: int,
    procedures: Sequence[Procedure],
    timeline: Timeline,
    think: float,
    chats: list[Chat],
) -> None:
    """Walk procedures, a new conversation each time, until the load is over; leave when a
    message is not answered (the rest of that conversation would mean nothing)."""
    rng = random.Random(number)
    await asyncio.sleep(rng.uniform(0, think))  # people do not all start in the same second
    for run in range(sys.maxsize):
        language = LANGUAGES[(number + run) % len(LANGUAGES)]
        procedure = procedures[(number + 5 * run) % len(procedures)]
        chat = Chat(secrets.token_hex(16), language, procedure)  # 128 random bits
        chats.append(chat)
        for text_ in walk(procedure, language):
            if timeline.over():
                return
            if not (await send(session, hub, chat, text_, timeline)).answered:
                return
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def warm_up(session: aiohttp.ClientSession, hub: str, procedure: Procedure) -> None:
    """One unmeasured conversation per language: the first answers load Rasa's caches."""
    timeline = Timeline(0.0)
    for language in LANGUAGES:
        chat = Chat(secrets.token_hex(16), language, procedure)
        for text_ in list(walk(procedure, language))[:3]:
            await send(session, hub, chat, text_, timeline)


# --- phone callers --------------------------------------------------------------------


@dataclass
class CallRecord:
    """One simulated call: its phase, and what was said and answered (or why it broke)."""

    phase: str
    said: int = 0
    answered: list[float] = field(default_factory=list)  # end of speech -> Loket's audio
    ended_by_loket: bool = False
    error: str | None = None


async def phone_caller(
    line: PhoneHub, caller: Caller, n: int, timeline: Timeline, calls: list[CallRecord]
) -> None:
    """Caller `n` calls again and again until the load is over, from a new number each
    time (so that Loket asks for the language every time)."""
    for number in range(sys.maxsize):
        if timeline.over():
            return
        record = CallRecord(timeline.phase())
        calls.append(record)
        again = dataclasses.replace(caller, number=f"+3249{n:03d}{number:04d}")
        try:
            call: PhoneCall = await make_call(line, again, PHONE_TURNS)
        except Exception as error:  # a call that breaks is a result, not the end of the run
            record.error = f"{type(error).__name__}: {' '.join(str(error).split())[:60]}"
        else:
            record.said = len(speech_spans(call))
            # (answer_delays fails on a call in which the caller said nothing)
            record.answered = answer_delays(call) if record.said else []
            record.ended_by_loket = call.ended_by == "loket"
        await asyncio.sleep(CALL_AGAIN_SECONDS)


# --- memory -----------------------------------------------------------------------------


async def sample_rss(system: System, peaks: dict[str, int], done: asyncio.Event) -> None:
    """The largest resident memory of each process (the hub with its children) until `done`."""
    while not done.is_set():
        for name, pid in system.pids().items():
            with contextlib.suppress(psutil.Error):  # a process killed by a fault
                process = psutil.Process(pid)
                tree = [process, *process.children(recursive=True)] if name == "hub" else [process]
                peaks[name] = max(peaks.get(name, 0), sum(p.memory_info().rss for p in tree))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), RSS_EVERY_SECONDS)


# --- checks at the end ------------------------------------------------------------------


async def check_transcript(session: aiohttp.ClientSession, hub: str, chat: Chat) -> None:
    """Read the conversation's stored transcript and compare it with what was sent."""
    transcript = None
    for _ in range(5):
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
            async with session.get(f"{hub}/api/conversations/{chat.id}") as response:
                if response.status in (200, 404):  # 404: nothing of it was ever stored
                    transcript = (await response.json()) if response.status == 200 else {}
                    break
        await asyncio.sleep(1.0)
    if transcript is not None:
        compare(chat, transcript.get("messages", []))


def compare(chat: Chat, transcript: Sequence[dict[str, Any]]) -> None:
    """Whether the transcript holds what the person sent, in order and once; and for each
    message, how often it was answered and the step its answer showed."""
    chat.transcript = transcript
    groups = reply_groups(transcript)
    said = [person for person, _ in groups]
    expected = [s.text for s in chat.sent]
    # The last message may have been refused every time: then it was never stored.
    chat.transcript_as_sent = said == expected or (
        bool(chat.sent) and not chat.sent[-1].accepted and said == expected[:-1]
    )
    if not chat.transcript_as_sent:
        return
    previous = 0
    for sent, (_, replies) in zip(chat.sent, groups, strict=False):
        answers = [r for r in replies if not is_holding([r])]
        steps = shown_step(answers, chat.language)
        late = sum(r.startswith(tuple(LATE_INTROS)) for r in answers)
        sent.answers = max(len(steps), late, 1) if answers else 0
        sent.step = steps[-1] if steps else None
        if sent.text != THANKS[chat.language]:  # the topic's button shows step 1, "next" one more
            sent.advance = (sent.step - previous) if sent.step is not None else 0
        previous = sent.step if sent.step is not None else previous


def reply_groups(messages: Sequence[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Each person message of a transcript with the texts said after it, before the next."""
    groups: list[tuple[str, list[str]]] = []
    for message in messages:
        if message.get("author") == "person":
            groups.append((str(message["text"]), []))
        elif groups:
            groups[-1][1].append(str(message["text"]))
    return groups


@dataclass(frozen=True)
class StoreCheck:
    """What the hub's database and Rasa's tracker store say at the end."""

    person_messages: dict[str, Counter[str]]  # by channel: how many in each status
    processed_twice: int  # hub message ids Rasa answered more than once
    taken_again: int  # hub message ids Rasa took again after a turn with no answer
    brain_messages: int  # hub message ids Rasa has a `user` event for


@dataclass(frozen=True)
class BrainTurns:
    """Per hub message id, how often Rasa took it (`user` events) and answered it."""

    taken: Counter[str]
    answered: Counter[str]


def brain_turns(events: Iterable[tuple[str, str, str]]) -> BrainTurns:
    """Count the turns in Rasa's events, (conversation, type, data) in the order stored.

    A `user` event followed by a `bot` event before the conversation's next `user` event
    was answered. One with none was taken while the action server was down: nothing
    moved, and the hub sends that message again on purpose (`answer_in_events`,
    bot/brain.py), so a second `user` event for it is not a second answer.
    """
    taken: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    unanswered: dict[str, str] = {}  # conversation -> its last message id, until answered
    for conversation, kind, data in events:
        if kind == "user":
            message_id = (json.loads(data).get("metadata") or {}).get(MESSAGE_ID)
            unanswered.pop(conversation, None)
            if message_id:
                taken[message_id] += 1
                unanswered[conversation] = message_id
        elif kind == "bot" and conversation in unanswered:
            answered[unanswered.pop(conversation)] += 1
    return BrainTurns(taken, answered)


async def check_store(database_url: str) -> StoreCheck:
    """Count person messages by status, and messages the brain processed more than once."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT c.channel, m.status, count(*) FROM messages m "
                    "JOIN conversations c ON c.id = m.conversation_id "
                    "WHERE m.author = 'person' GROUP BY c.channel, m.status"
                )
            )
            statuses: dict[str, Counter[str]] = {}
            for channel, status, count in rows:
                statuses.setdefault(channel, Counter())[status] = count
            events = await connection.execute(
                text(
                    "SELECT sender_id, type_name, data FROM events "
                    "WHERE type_name IN ('user', 'bot') ORDER BY id"
                )
            )
            turns = brain_turns(events)  # type: ignore[arg-type]  # rows unpack as tuples
    finally:
        await engine.dispose()
    return StoreCheck(
        statuses,
        processed_twice=sum(n > 1 for n in turns.answered.values()),
        taken_again=sum(n > turns.answered[i] and n > 1 for i, n in turns.taken.items()),
        brain_messages=len(turns.taken),
    )


# --- figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseFigures:
    """What the web chat people of one phase sent and got."""

    phase: str
    start: float
    end: float
    sent: int
    at_once: int  # answered in the 200
    held_answered: int  # held, then answered on the live stream
    not_answered: int  # never answered (refused every time, or held without an answer)
    server_errors: int  # 5xx responses, resent ones included
    network_errors: int
    resent: int  # messages sent more than once (same key)
    answered_twice: int
    skipped: int  # a "next" whose answer was more than one step further
    stalled: int  # a "next" whose answer did not move on
    latencies: list[float]  # first attempt -> the 200, answered at once
    late: list[float]  # first attempt -> the late answer

    @classmethod
    def of(
        cls, phase: str, span: tuple[float, float], sent: Sequence[Sent], statuses: Sequence[int]
    ) -> PhaseFigures:
        """Figures over the messages first sent in the phase, and the `statuses` of the
        responses that came in it."""
        return cls(
            phase, *span, len(sent),
            at_once=sum(s.answered and not s.held for s in sent),
            held_answered=sum(s.held and s.answered for s in sent),
            not_answered=sum(not s.answered for s in sent),
            server_errors=sum(status >= 500 for status in statuses),
            network_errors=statuses.count(0),
            resent=sum(len(s.statuses) > 1 for s in sent),
            answered_twice=sum(s.answers > 1 for s in sent),
            skipped=sum((s.advance or 0) > 1 for s in sent),
            stalled=sum(s.advance is not None and s.advance < 1 for s in sent),
            latencies=sorted(s.latency for s in sent if s.latency and not s.held),
            late=sorted(s.late_after for s in sent if s.late_after is not None),
        )  # fmt: skip

    @property
    def throughput(self) -> float:
        """Answered messages per second of the phase."""
        seconds = self.end - self.start
        return (self.at_once + self.held_answered) / seconds if seconds > 0 else 0.0


@dataclass(frozen=True)
class Run:
    """Everything the report says."""

    phases: list[PhaseFigures]
    total: PhaseFigures
    faults: list[Fault]
    chats: int  # conversations
    transcripts_not_as_sent: int
    transcripts_unread: int
    store: StoreCheck
    calls: list[CallRecord]
    rss: dict[str, int]
    machine: dict[str, str]
    model: str
    command: str
    date: str
    options: argparse.Namespace
    wall_seconds: float = 0.0

    @property
    def lost(self) -> int:
        """Web chat messages never answered, or missing from their transcript."""
        return self.total.not_answered + self.transcripts_not_as_sent

    @property
    def twice(self) -> int:
        """Messages stored, answered or processed twice, or "next"s that skipped a step."""
        return self.total.answered_twice + self.total.skipped + self.store.processed_twice

    @property
    def server_errors_in_cut(self) -> int:
        """5xx answers while the database was cut off: the hub cannot store a message."""
        return sum(p.server_errors for p in self.phases if p.phase == DATABASE_CUT)


def figures(chats: Sequence[Chat], spans: dict[str, tuple[float, float]]) -> list[PhaseFigures]:
    """One PhaseFigures per phase, in order."""
    sent = [s for chat in chats for s in chat.sent]
    responses = [response for s in sent for response in s.statuses]
    return [
        PhaseFigures.of(
            name, span, [s for s in sent if s.phase == name],
            [status for status, phase in responses if phase == name],
        )
        for name, span in spans.items()
    ]  # fmt: skip


# --- the run --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database_proxy(
    database_url: str,
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """benchmarks/db_cut.py in front of the database: the URL through it, and the process."""
    server = make_url(database_url)
    port = free_port()
    proxy = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.db_cut", str(port), server.host or "127.0.0.1",
        str(server.port or 5432), cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            await asyncio.sleep(0.1)
        yield server.set(port=port).render_as_string(hide_password=False), proxy
    finally:
        proxy.terminate()
        await proxy.wait()


def hub_settings_env(database_url: str) -> dict[str, str]:
    """The hub's own defaults for waiting on the brain (web_chat's hub waits 30 s), and its
    database through the proxy."""
    defaults = Settings.model_fields
    return {
        "LOKET_DATABASE_URL": database_url,
        "LOKET_BRAIN_TIMEOUT": str(defaults["brain_timeout"].default),
        "LOKET_BRAIN_REQUEST_TIMEOUT": str(defaults["brain_request_timeout"].default),
    }


async def benchmark(settings: Settings, model: Path, options: argparse.Namespace) -> Run:
    """Start everything on a fresh database, load it, make the faults, check; stop it all."""
    raise_file_limit()
    load_before = load_average()
    async with database("postgresql") as direct_url:
        if direct_url is None:
            raise RuntimeError(f"this benchmark needs PostgreSQL ({POSTGRES})")
        async with database_proxy(direct_url) as (proxied_url, proxy):
            with tempfile.TemporaryDirectory(prefix="loket-load-faults-") as folder:
                run = await load_and_faults(
                    settings, model, options, proxied_url, proxy, Path(folder)
                )
        store = await check_store(direct_url)
    return dataclasses.replace(
        run,
        store=store,
        machine=run.machine | {
            "load average (1, 5, 15 min) before starting": load_before,
            "load average at the end (includes this benchmark)": load_average(),
        },
    )  # fmt: skip


async def load_and_faults(
    settings: Settings,
    model: Path,
    options: argparse.Namespace,
    database_url: str,
    proxy: asyncio.subprocess.Process,
    data_dir: Path,
) -> Run:
    """The brain and the hub on the database behind the proxy, under load and faults."""
    settings = settings.model_copy(update={"database_url": database_url, "data_dir": data_dir})
    voice_dir = data_dir / "voice"  # empty: Loket speaks as with nothing downloaded
    voice_dir.mkdir()
    speech = await caller_speech(
        phone_speech.speaker(settings.model_copy(update={"voice_dir": voice_dir}))
    )
    token = secrets.token_urlsafe(16)
    env = phone_env(voice_dir, token) | hub_settings_env(database_url)
    procedures = list(load_catalogue(default_content_dir()).procedures.values())
    print("Starting the Rasa server and the action server...", flush=True)
    async with running_brain(settings, model) as children:
        print("Starting the hub...", flush=True)
        async with running_hub(settings, data_dir, env) as hub:
            rasa, actions = (
                next(c for c in children if c.spec.name == n) for n in ("rasa", "actions")
            )
            system = System(hub.url, hub.pid, rasa, actions, proxy, settings)
            line = PhoneHub(hub.url, token, data_dir / "calls.jsonl", Processes({"hub": hub.pid}))
            connector = aiohttp.TCPConnector(limit=0)  # 200 people: no client-side queue
            async with aiohttp.ClientSession(connector=connector) as session:
                print("Warming up: a conversation per language...", flush=True)
                await warm_up(session, hub.url, procedures[0])
                print(f"Load: {options.chats} chats, {options.calls} calls...", flush=True)
                chats: list[Chat] = []
                calls: list[CallRecord] = []
                peaks: dict[str, int] = {}
                timeline = Timeline(options.seconds)
                done = asyncio.Event()
                sampler = asyncio.create_task(sample_rss(system, peaks, done))
                faults_task = asyncio.create_task(make_faults(system, timeline, options.seconds))
                await asyncio.gather(
                    *(
                        chat_person(session, hub.url, n, procedures, timeline, options.think, chats)
                        for n in range(options.chats)
                    ),
                    *(
                        phone_caller(line, caller, n, timeline, calls)
                        for n, caller in enumerate(callers(options.calls, speech))
                    ),
                    faults_task,
                )
                ended = time.monotonic()
                done.set()
                await sampler
                print("Checking every transcript...", flush=True)
                slots = asyncio.Semaphore(20)

                async def check(chat: Chat) -> None:
                    async with slots:
                        await check_transcript(session, hub.url, chat)

                await asyncio.gather(*(check(chat) for chat in chats))
    shutil.copyfile(data_dir / "hub.log", HUB_LOG)
    wrong = [chat for chat in chats if chat.went_wrong()]
    WENT_WRONG.write_text("".join(f"{chat.show()}\n" for chat in wrong))
    print(f"The hub's log: {HUB_LOG}; conversations that went wrong: {WENT_WRONG}", flush=True)
    for chat in wrong[:EXAMPLES]:
        print(f"Went wrong: {chat.show()}", flush=True)
    phases = figures(chats, timeline.spans(ended))
    everything = [s for chat in chats for s in chat.sent]
    responses = [status for s in everything for status, _ in s.statuses]
    return Run(
        phases=phases,
        total=PhaseFigures.of("all", (0.0, ended - timeline.started), everything, responses),
        faults=faults_task.result(),
        chats=len(chats),
        transcripts_not_as_sent=sum(chat.transcript_as_sent is False for chat in chats),
        transcripts_unread=sum(chat.transcript_as_sent is None for chat in chats),
        store=StoreCheck({}, 0, 0, 0),  # read from the store once the load is over
        calls=calls,
        rss=peaks,
        machine=machine(settings),
        model=model.name,
        command=options.command,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        options=options,
    )


def raise_file_limit() -> None:
    """Hundreds of connections at once: as many open files as the system allows."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- report -----------------------------------------------------------------------------


def phase_table(phases: Sequence[PhaseFigures], total: PhaseFigures) -> list[str]:
    """Per phase: what was sent, what became of it, and how fast."""
    rows = [
        "| phase | from - to (s) | sent | answered at once | held, answered later "
        "| not answered | 5xx | network errors | sent again | answered twice "
        "| steps skipped | steps stalled | p50 / p95 / p99 (ms) | held: wait p50 / max (s) "
        "| answers/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for f in [*phases, total]:
        name = "**all**" if f is total else f.phase
        late = f"{percentile(f.late, 50):.1f} / {max(f.late):.1f}" if f.late else "-"
        rows.append(
            f"| {name} | {f.start:.0f} - {f.end:.0f} | {f.sent} | {f.at_once} | {f.held_answered} "
            f"| {f.not_answered} | {f.server_errors} | {f.network_errors} | {f.resent} "
            f"| {f.answered_twice} | {f.skipped} | {f.stalled} "
            f"| {ms(f.latencies)} / {ms(f.latencies, 95)} / {ms(f.latencies, 99)} "
            f"| {late} | {f.throughput:.1f} |"
        )
    return rows


def fault_lines(faults: Sequence[Fault]) -> list[str]:
    """When each fault was made, and when its part was back."""
    return [
        f"- {f.at:.0f} s: {f.phase}; back after {f.back_after:.0f} s "
        + ("(the cut itself)" if f.phase == DATABASE_CUT else "(restarted, the brain ready again)")
        + f"; every message held meanwhile answered after {f.caught_up_after:.0f} s"
        for f in faults
    ]


def store_lines(run: Run) -> list[str]:
    """What the hub's database and Rasa's tracker store say at the end."""
    statuses = run.store.person_messages
    lines = [
        f"- web chat transcripts checked: {run.chats - run.transcripts_unread} of {run.chats}; "
        f"not what the person sent (a message missing, stored twice or out of order): "
        f"{run.transcripts_not_as_sent}",
        f"- messages the brain answered more than once (Rasa's `user` events followed by an "
        f"answer, per hub message id): {run.store.processed_twice} of "
        f"{run.store.brain_messages}; taken again after a turn with no answer (the action "
        f"server down: sent again on purpose): {run.store.taken_again}",
    ]
    for channel, counts in sorted(statuses.items()):
        said = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
        lines.append(f"- person messages in the hub's database, {channel}: {said}")
    return lines


def call_lines(calls: Sequence[CallRecord]) -> list[str]:
    """What the callers got."""
    made = [c for c in calls if c.error is None]
    errors = Counter((c.phase, c.error) for c in calls if c.error)
    answered = [d for c in made for d in c.answered]
    why = "; ".join(f"{n} in {phase}: {error}" for (phase, error), n in errors.items()) or "-"
    return [
        f"- calls: {len(made)} made, {sum(c.ended_by_loket for c in made)} ended by Loket, "
        f"{sum(errors.values())} failed ({why})",
        f"- sentences said {sum(c.said for c in made)}, answered {len(answered)}; end of "
        f"speech to Loket's first audio: median {ms(answered)} ms, p95 {ms(answered, 95)} ms",
    ]


def verdict(run: Run) -> str:
    """PASS when nothing was lost, nothing answered twice, no step stalled, no 5xx but
    while the database was cut off and no call failed; else what missed."""
    outside_cut = run.total.server_errors - run.server_errors_in_cut
    calls_failed = sum(call.error is not None for call in run.calls)
    missed = [
        f"{what} {n}"
        for what, n in (
            ("lost", run.lost), ("twice", run.twice), ("stalled", run.total.stalled),
            ("5xx with the database there", outside_cut), ("calls failed", calls_failed),
        )
        if n
    ]  # fmt: skip
    return f"**MISS** ({', '.join(missed)})" if missed else "**PASS**"


def render(run: Run) -> str:
    """The "Load and faults" section of docs/reliability.md."""
    o = run.options
    lines = [
        "## Load and faults",
        "",
        f"{o.chats} people in the web chat and {o.calls} phone callers at once for "
        f"{o.seconds:g} s at least, on PostgreSQL, with the real Rasa server and action "
        "server; during the load the Rasa server and then the action server are killed "
        "(SIGKILL; restarted as `loket run` restarts them) and then the database is cut off "
        "for 10 s (a proxy resets every connection and refuses new ones). Each person walks a "
        'procedure in French, Dutch or English (its button, "next" to the last step, '
        f"thanks; a new 128-bit conversation id each time), reading {o.think:g} s on average "
        "between messages; each message has its own `Idempotency-Key` and is sent again "
        "with it after a network error or a 503 (after 1, 3 and 8 s). After a holding reply "
        "the person waits on the live stream for the answer (up to "
        f"{LATE_ANSWER_TIMEOUT:.0f} s), and leaves the conversation if none comes. Callers "
        f"call again and again, {CALL_AGAIN_SECONDS:g} s after each call ({PHONE_TURNS} "
        "sentences a call, the Korean Vosk model for every language: see the phone "
        f"benchmark in docs/benchmarks.md); a caller hangs up after {ANSWER_TIMEOUT:g} s "
        "without an answer "
        "(its message is then `unheard`). A fault's phase "
        "lasts until its part is back (the brain ready again; the database reconnected), "
        'then the part\'s "back" phase until the next fault. A message belongs to the phase '
        "in which it was first sent (so one sent just before a fault may be answered during "
        "it); 5xx and network errors to the phase in which they came (to the database cut if "
        "their request was under way during it). Each fault comes once the system has "
        "recovered from the one before (its part back, every held message answered) and "
        f"{SETTLE_SECONDS:.0f} s more. Latency: first attempt "
        "to the 200 answer, over messages answered at once. At the end, every transcript is "
        "compared with what its person sent: each message stored once, answered once, in "
        'order, each "next" one step further (skipped: the brain took a message twice; '
        "stalled: the step did not move). Goal: nothing lost, nothing twice, no step stalled, "
        "no 5xx but while the database is cut off (the hub cannot store a message then; it "
        "answers 503, and the message sent again with its key is answered), no call "
        'failed (a call that cannot start then waits with the caller: "one moment").',
        "",
        f"Measured {run.date}, model `{run.model}`, wall time {run.wall_seconds:.0f} s "
        "(`python -m benchmarks.load_faults --help` lists the options):",
        "",
        f"    {run.command}",
        "",
        f"Result: {run.lost} lost, {run.twice} answered twice, {run.total.stalled} steps "
        f"stalled, {run.total.server_errors} 5xx ({run.server_errors_in_cut} while the database "
        f"was cut off): {verdict(run)}",
        "",
        "Faults:",
        "",
        *fault_lines(run.faults),
        "",
        f"Web chat, {run.chats} conversations:",
        "",
        *phase_table(run.phases, run.total),
        "",
        "Checks at the end:",
        "",
        *store_lines(run),
        "",
        "Phone:",
        "",
        *call_lines(run.calls),
        "",
        "Largest resident memory (RSS) during the load (a killed process: the largest of its "
        "two lives):",
        "",
        "| process | RSS (MiB) |",
        "|---|---:|",
        *(f"| {name} | {rss / 2**20:.0f} |" for name, rss in run.rss.items()),
        "",
        "Machine:",
        "",
        *(f"- {key}: {value}" for key, value in run.machine.items()),
    ]
    return "\n".join(map(wrap_prose, lines))


# --- main -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load_faults", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--seconds", type=float, default=300.0,
        help="seconds of load at least (default 300); it goes on until the faults are over",
    )  # fmt: skip
    parser.add_argument(
        "--chats", type=int, default=200, help="people in the web chat at once (default 200)"
    )
    parser.add_argument("--calls", type=int, default=10, help="calls at once (default 10)")
    parser.add_argument(
        "--think", type=float, default=5.0,
        help="average seconds a person reads before the next message (default 5)",
    )  # fmt: skip
    parser.add_argument(
        "--model", type=Path,
        help="a trained model to use as it is (default: the model of the current "
        "inputs, trained first if they changed)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "reliability.md",
        help="the Markdown file whose load and faults section is rewritten",
    )  # fmt: skip
    options = parser.parse_args(argv)
    if options.seconds <= 0 or options.chats < 1 or options.calls < 0 or options.think <= 0:
        parser.error("--seconds, --chats and --think must be positive, --calls at least 0")
    if options.model is not None and not options.model.is_file():
        parser.error(f"--model: {options.model} is not a file")
    options.command = command_line("benchmarks.load_faults", argv)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the section and write it to the document."""
    options = parse_args(argv)
    return run_and_write(options, benchmark, render, SECTION, options.model)


if __name__ == "__main__":
    sys.exit(main())
