"""Tests of voice/recognisers.py: recognisers made and warmed before the first caller.

Stand-in recognisers record what they hear, so the tests check which speech each one
heard and when calls may have it; nothing is timed. What warming buys (less CPU on a
caller's first sentence with a real model) is measured in docs/voice.md, not asserted.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from tests.fakes import StandInModels
from tests.waiting import SAFETY_NET_SECONDS
from voice.languages import LANGUAGES
from voice.recognisers import RecogniserPool

END_OF_SPEECH_MS = 500
SPEECH = {language: [f"{language}-{n}".encode() for n in range(3)] for language in LANGUAGES}


class HeardRecogniser:
    """Stands in for a Vosk recogniser: keeps the sentences it heard (silence left out)."""

    def __init__(self, model: Any, end_of_speech_ms: int, rate: int) -> None:
        self.language = model
        self.heard: list[bytes] = []
        self.renewals = 0
        self.hearing_more = threading.Event()  # hearing a sentence after its first
        self.release = threading.Event()
        self.release.set()  # a test clears it to hold this one mid-speech

    def accept(self, pcm16_8k: bytes) -> list[Any]:
        self.heard.append(pcm16_8k.rstrip(b"\0"))
        if len(self.heard) > 1:
            self.hearing_more.set()
        self.release.wait(SAFETY_NET_SECONDS)
        return []

    def renew(self) -> None:
        self.renewals += 1

    def close(self) -> None:
        pass


def pool(spares: int, made: list[HeardRecogniser]) -> RecogniserPool:
    def make(*args: Any) -> HeardRecogniser:
        made.append(HeardRecogniser(*args))
        return made[-1]

    return RecogniserPool(StandInModels(), END_OF_SPEECH_MS, spares, make=make)  # type: ignore[arg-type]


async def test_each_recogniser_hears_all_its_languages_speech_before_a_caller() -> None:
    made: list[HeardRecogniser] = []
    recognisers = pool(2, made)

    assert await recognisers.fill(SPEECH) == 2 * len(LANGUAGES)

    for recogniser in made:
        assert recogniser.heard == SPEECH[recogniser.language], "each sentence, in order"
        assert recogniser.renewals == 2, "renewed after its first sentence, then after all"
    for language in LANGUAGES:
        assert (recognisers.ready(language), recognisers.lent_out(language)) == (2, 0)
    recognisers.close()


async def test_one_hearing_more_speech_is_not_lent_and_one_lent_is_left_to_its_call() -> None:
    made: list[HeardRecogniser] = []
    recognisers = pool(2, made)
    first_only = {language: sentences[:1] for language, sentences in SPEECH.items()}
    await recognisers.fill(first_only)  # ready: each has heard one sentence
    french = [recogniser for recogniser in made if recogniser.language == "fr"]
    for recogniser in french:
        recogniser.release.clear()  # the French ones stop in the middle of what they hear

    filling = asyncio.create_task(recognisers.fill(SPEECH))
    busy = french[0]  # the first made hears first
    assert await asyncio.to_thread(busy.hearing_more.wait, SAFETY_NET_SECONDS)
    lent = await recognisers.take("fr")

    assert lent is not busy, "a recogniser hearing warm-up speech is never lent to a call"
    assert (recognisers.ready("fr"), recognisers.lent_out("fr")) == (0, 1)
    for recogniser in french:
        recogniser.release.set()
    await asyncio.wait_for(filling, SAFETY_NET_SECONDS)

    assert lent.heard == SPEECH["fr"][:1], "the call's recogniser is left to the call"  # type: ignore[union-attr]
    assert busy.heard == SPEECH["fr"]
    assert (recognisers.ready("fr"), recognisers.lent_out("fr")) == (1, 1)
    recognisers.close()
