"""The listener keeps a caller's first words while the call's recogniser is being made."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from tests.unit.test_voice_threads import hold
from voice import listener as listener_module
from voice.audio import pcm16_to_ulaw
from voice.listener import EARLY_AUDIO_PIECES, Listener
from voice.recognition import RecognitionEvent, Utterance
from voice.threads import RECOGNITION_NICENESS, RecognitionThreads

FRAME = bytes(320)  # 20 ms of 8 kHz 16-bit silence
WAIT_SECONDS = 10.0  # only a safety net against a hanging test


class CountingRecogniser:
    """Stands in for a Vosk recogniser: each piece heard ends a "sentence" that says how
    many frames it has heard in all."""

    def __init__(self) -> None:
        self.frames = 0

    def accept(self, pcm16_8k: bytes) -> list[RecognitionEvent]:
        self.frames += len(pcm16_8k) // len(FRAME)
        return [Utterance(str(self.frames))]

    def is_quiet(self, pcm16_8k: bytes) -> bool:
        return True


async def frames_heard(before: int, after: int, *, listening_first: bool = True) -> int:
    """Frames the recogniser heard when `before` frames came before it listened, `after`
    once it did; with `listening_first` False the call listened with nothing first."""
    heard: list[str] = []
    reported = asyncio.Event()

    def report(event: RecognitionEvent, at: float) -> None:
        heard.append(event.text)  # type: ignore[union-attr]  # only Utterances here
        reported.set()

    listener = Listener(report, release=lambda recogniser: None)
    running = asyncio.create_task(listener.run())
    for _ in range(before):
        listener.hear(pcm16_to_ulaw(FRAME))
    if not listening_first:
        await listener.listen_with({})
    recogniser = CountingRecogniser()
    await listener.listen_with({"en": recogniser})  # type: ignore[dict-item]
    for _ in range(after):
        listener.hear(pcm16_to_ulaw(FRAME))
    async with asyncio.timeout(WAIT_SECONDS):
        while not heard or recogniser.frames != int(heard[-1]):  # until all is heard
            await reported.wait()
            reported.clear()
    running.cancel()
    return recogniser.frames


async def test_a_caller_speaking_before_the_recogniser_is_ready_is_heard_in_full():
    assert await frames_heard(before=50, after=1) == 51


async def test_only_the_last_seconds_before_it_are_kept():
    assert await frames_heard(before=EARLY_AUDIO_PIECES + 200, after=1) == EARLY_AUDIO_PIECES + 1


async def test_once_the_call_listened_without_speech_early_audio_is_dropped():
    # A keypad-only language first: what was said then is not for a recogniser to come.
    assert await frames_heard(before=50, after=1, listening_first=False) == 1


class PriorityRecogniser:
    """Stands in for a Vosk recogniser: writes down the scheduling priority it ran at."""

    def __init__(self) -> None:
        self.niceness: list[int] = []

    def accept(self, pcm16_8k: bytes) -> list[RecognitionEvent]:
        self.niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return [Utterance("heard")]

    def is_quiet(self, pcm16_8k: bytes) -> bool:
        return True


@pytest.mark.skipif(sys.platform != "linux", reason="thread priorities are Linux's")
async def test_recognition_gives_way_to_the_event_loop_that_answers_callers():
    heard = asyncio.Event()
    listener = Listener(lambda event, at: heard.set(), release=lambda recogniser: None)
    running = asyncio.create_task(listener.run())
    recogniser = PriorityRecogniser()
    await listener.listen_with({"en": recogniser})  # type: ignore[dict-item]

    listener.hear(pcm16_to_ulaw(FRAME))
    async with asyncio.timeout(WAIT_SECONDS):
        await heard.wait()
    running.cancel()

    loop_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert recogniser.niceness == [min(19, loop_niceness + RECOGNITION_NICENESS)]


class NamedRecogniser:
    """Stands in for a Vosk recogniser of a caller who is talking, or has stopped."""

    def __init__(self, name: str, quiet: bool) -> None:
        self.name, self.quiet = name, quiet

    def accept(self, pcm16_8k: bytes) -> list[RecognitionEvent]:
        return [Utterance(self.name)]

    def is_quiet(self, pcm16_8k: bytes) -> bool:
        return self.quiet


class WatchedThreads(RecognitionThreads):
    """One recognition thread; `handed` is set each time a job is handed to it."""

    def __init__(self) -> None:
        super().__init__("test", workers=1)
        self.handed = asyncio.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.handed.set()
        return super().submit(fn, *args, **kwargs)

    def submit_first(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        self.handed.set()
        return super().submit_first(fn, *args)


async def test_a_caller_who_stopped_talking_is_heard_before_one_still_talking(monkeypatch):
    one_thread = WatchedThreads()
    monkeypatch.setattr(listener_module, "_RECOGNITION", one_thread)
    release = hold(one_thread)  # recognition is behind: both callers' audio waits
    heard: list[str] = []
    both = asyncio.Event()

    def report(event: RecognitionEvent, at: float) -> None:
        heard.append(event.text)  # type: ignore[union-attr]  # only Utterances here
        if len(heard) == 2:
            both.set()

    runs = []
    for recogniser in (NamedRecogniser("talking", False), NamedRecogniser("stopped", True)):
        listener = Listener(report, release=lambda recogniser: None)
        runs.append(asyncio.create_task(listener.run()))
        await listener.listen_with({"en": recogniser})  # type: ignore[dict-item]
        one_thread.handed.clear()
        listener.hear(pcm16_to_ulaw(FRAME))
        async with asyncio.timeout(WAIT_SECONDS):
            await one_thread.handed.wait()  # its audio waits for the thread
    release.set()
    async with asyncio.timeout(WAIT_SECONDS):
        await both.wait()
    for run in runs:
        run.cancel()
    one_thread.shutdown()

    assert heard == ["stopped", "talking"]


class BlockingRecogniser:
    """Stands in for a Vosk recogniser; `accept` waits for `finish` once `started`."""

    def __init__(self) -> None:
        self.started, self.finish = threading.Event(), threading.Event()
        self.heard = 0

    def accept(self, pcm16_8k: bytes) -> list[RecognitionEvent]:
        self.started.set()
        self.finish.wait(WAIT_SECONDS)
        self.heard += 1
        return []

    def is_quiet(self, pcm16_8k: bytes) -> bool:
        return True


class Released(list):
    """The recognisers a listener let go of, in order; `any` is set at the first."""

    def __init__(self) -> None:
        super().__init__()
        self.any = asyncio.Event()

    def __call__(self, recogniser: object) -> None:
        self.append(recogniser)
        self.any.set()


def listening(released: Released) -> tuple[Listener, asyncio.Task[None]]:
    """A listener, running, that lets go of its recognisers into `released`."""
    listener = Listener(lambda event, at: None, release=released)
    return listener, asyncio.create_task(listener.run())


async def test_a_call_that_ends_drops_its_audio_still_waiting_and_lets_go_at_once(monkeypatch):
    one_thread = WatchedThreads()
    monkeypatch.setattr(listener_module, "_RECOGNITION", one_thread)
    release = hold(one_thread)  # recognition is behind: the caller's last audio waits
    released = Released()
    listener, running = listening(released)
    recogniser = BlockingRecogniser()
    recogniser.finish.set()
    await listener.listen_with({"en": recogniser})  # type: ignore[dict-item]
    listener.hear(pcm16_to_ulaw(FRAME))
    async with asyncio.timeout(WAIT_SECONDS):
        await one_thread.handed.wait()

    running.cancel()  # the caller hung up
    async with asyncio.timeout(WAIT_SECONDS):
        await listener.close()
    assert released == [recogniser]  # at once, while the thread is still busy
    release.set()
    one_thread.shutdown()
    assert recogniser.heard == 0  # its audio was dropped: nobody left to answer


async def test_a_recogniser_a_thread_is_using_goes_back_only_once_the_thread_is_done(
    monkeypatch,
):
    monkeypatch.setattr(listener_module, "_RECOGNITION", RecognitionThreads("test", workers=1))
    released = Released()
    listener, running = listening(released)
    recogniser = BlockingRecogniser()
    await listener.listen_with({"en": recogniser})  # type: ignore[dict-item]
    listener.hear(pcm16_to_ulaw(FRAME))
    assert await asyncio.to_thread(recogniser.started.wait, WAIT_SECONDS)

    running.cancel()
    async with asyncio.timeout(WAIT_SECONDS):
        await listener.close()  # returns while the thread still recognises
    assert released == []  # not given to another call while in use
    recogniser.finish.set()
    async with asyncio.timeout(WAIT_SECONDS):
        await released.any.wait()
    assert released == [recogniser] and recogniser.heard == 1
