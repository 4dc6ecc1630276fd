"""What a recogniser's warm-up buys: recognition CPU on a caller's first sentence.

A recogniser of a small Vosk model builds its decoding graph as it meets speech
(voice/recognisers.py). This measures, for each amount of Loket's own speech a pooled
recogniser hears before its first caller (`LOKET_RECOGNISER_WARM_SECONDS`), the CPU time
it then spends on a caller's first sentence, and what the warm-up costs: its CPU time and
the memory each recogniser then holds. The real pool does the warming
(`RecogniserPool.fill` on `warm_speech`), with the Korean model standing in for French,
Dutch and English as in benchmarks/phone.py, and the callers' sentences of that benchmark.

    python -m benchmarks.recogniser_warmth

Rewrites the "Recognisers ready before the call" figures in docs/voice.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

from benchmarks.phone import KOREAN_MODEL, caller_speech
from benchmarks.web_chat import command_line, update_document
from bot.channels.phone import speech as phone_speech
from bot.channels.phone.webhooks import warm_speech
from bot.settings import LANGUAGES, ROOT, Language, Settings
from voice.recognisers import RecogniserPool
from voice.recognition import SpeechModels

WARM_SECONDS = (0.0, 10.0, 30.0, 60.0)
SPARES = 3  # recognisers per language in each pool: one per caller sentence
SECTION = ("<!-- recogniser-warmth:start -->", "<!-- recogniser-warmth:end -->")


@dataclass(frozen=True)
class Row:
    """One language at one warm-up budget."""

    warm_seconds: float
    language: Language
    heard_seconds: float  # of Loket's speech, per recogniser
    warm_cpu: float  # CPU seconds per recogniser to make and warm it
    first_sentence_cpu: list[float]  # per caller sentence, each on its own recogniser
    rss_mib: float  # resident memory per recogniser, after its first sentence


async def measure(settings: Settings, budget: float, language: Language, said: list[bytes]) -> Row:
    """A pool of SPARES recognisers warmed on `budget` s of speech; each hears one sentence."""
    with tempfile.TemporaryDirectory() as folder:
        speaker = phone_speech.speaker(settings.model_copy(update={"voice_dir": Path(folder)}))
        speech = {language: (await warm_speech(speaker, budget))[language]}
    models = SpeechModels(dict.fromkeys(LANGUAGES, None) | {language: KOREAN_MODEL})
    models.load(language)  # loaded once, before memory is counted
    process, pool = psutil.Process(), RecogniserPool(models, settings.end_of_speech_ms, SPARES)
    rss, cpu = process.memory_info().rss, time.process_time()
    await pool.fill(speech)
    warm_cpu = (time.process_time() - cpu) / SPARES
    silence = bytes(2 * 8000 * (settings.end_of_speech_ms + 100) // 1000)
    costs = []
    for sentence in said[:SPARES]:
        recogniser = await pool.take(language)
        assert recogniser is not None, "the Korean model loads"
        recogniser.accept(sentence + silence)
        costs.append(recogniser.cpu_seconds)
    rss_mib = (process.memory_info().rss - rss) / SPARES / 2**20
    pool.close()
    heard = sum(map(len, speech[language])) / (2 * 8000)
    return Row(budget, language, heard, warm_cpu, costs, rss_mib)


async def benchmark(settings: Settings) -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        speaker = phone_speech.speaker(settings.model_copy(update={"voice_dir": Path(folder)}))
        said = await caller_speech(speaker)
    rows = []
    for budget in WARM_SECONDS:
        for language in LANGUAGES:
            rows.append(await measure(settings, budget, language, said[language]))
            print(line(rows[-1]), flush=True)
    return rows


def line(row: Row) -> str:
    costs = " / ".join(f"{cost:.2f}" for cost in row.first_sentence_cpu)
    return (
        f"| {row.warm_seconds:.0f} | {row.language} | {row.heard_seconds:.0f} "
        f"| {row.warm_cpu:.1f} | {costs} | {statistics.mean(row.first_sentence_cpu):.2f} "
        f"| {row.rss_mib:.0f} |"
    )


def render(rows: Sequence[Row], command: str) -> str:
    return "\n".join(
        [
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {psutil.cpu_count()} cores, "
            "the Korean model standing in for each language:",
            "",
            f"    {command}",
            "",
            "| LOKET_RECOGNISER_WARM_SECONDS | language | Loket's speech heard (s) "
            "| CPU to make and warm one (s) | a caller's first sentence, CPU (s), each "
            "| mean (s) | memory per recogniser (MiB) |",
            "|---:|---|---:|---:|---|---:|---:|",
            *map(line, rows),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recogniser_warmth")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "voice.md")
    options = parser.parse_args(argv)
    rows = asyncio.run(benchmark(Settings()))
    section = render(rows, command_line("benchmarks.recogniser_warmth", argv))
    update_document(options.out, section, SECTION)
    print(f"\n{section}\n\nWritten to {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
