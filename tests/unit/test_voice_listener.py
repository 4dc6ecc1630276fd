"""The listener keeps a caller's first words while the call's recogniser is being made."""

from __future__ import annotations

import asyncio

from voice.audio import pcm16_to_ulaw
from voice.listener import EARLY_AUDIO_PIECES, Listener
from voice.recognition import RecognitionEvent, Utterance

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
