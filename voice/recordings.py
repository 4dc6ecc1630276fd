"""Whole recordings (a voice note from a messaging app), decoded and heard in one pass.

Unlike a call, a recording is not a live stream: it is decoded in Python (PyAV, FFmpeg's
libraries; no shell pipeline), resampled at once to the rate the language's Vosk model
expects, and recognised in one go. Both are CPU work: callers run them in a thread.
Nothing here logs what was said.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import av
import vosk

_CHUNK_SECONDS = 0.5  # audio handed to Vosk at a time


class RecordingError(ValueError):
    """The file is not audio PyAV can decode, or it is longer than allowed."""


def decode(data: bytes, rate: int, max_seconds: float) -> bytes:
    """The audio of a file (OGG/Opus, or any format FFmpeg reads) as 16-bit mono PCM at `rate`.

    Decoding stops, with RecordingError, once the audio is longer than `max_seconds`:
    the length a file declares is not trusted.
    """
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    pcm = bytearray()
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise RecordingError("The file holds no audio.")
            for frame in container.decode(container.streams.audio[0]):
                for piece in resampler.resample(frame):
                    pcm += piece.to_ndarray().tobytes()
                if len(pcm) > 2 * rate * max_seconds:
                    raise RecordingError(f"The audio is longer than {max_seconds} s.")
            for piece in resampler.resample(None):  # what the resampler still holds
                pcm += piece.to_ndarray().tobytes()
    except av.error.FFmpegError as error:
        raise RecordingError(f"The file cannot be decoded: {error}") from None
    return bytes(pcm)


class Listeners:
    """Vosk recognisers for whole recordings, kept and used again, one recording at a time.

    A new recogniser builds its part of the decoding graph as it meets it: its first
    seconds of speech cost several times the CPU of the same speech heard by one that has
    heard some before (docs/voice.md, "Recognisers ready before the call"). So a
    recogniser is reset after a recording and lent to the next one. Thread-safe.
    """

    def __init__(self) -> None:
        self._idle: dict[tuple[int, int], list[vosk.KaldiRecognizer]] = {}
        self._lock = threading.Lock()

    @contextmanager
    def borrow(self, model: vosk.Model, rate: int) -> Iterator[vosk.KaldiRecognizer]:
        """A recogniser of `model` at `rate`, reset when it is given back."""
        key = (id(model), rate)
        with self._lock:
            idle = self._idle.setdefault(key, [])
            recogniser = idle.pop() if idle else None
        if recogniser is None:
            recogniser = vosk.KaldiRecognizer(model, rate)
            recogniser.SetWords(False)
        try:
            yield recogniser
        finally:
            recogniser.Reset()
            with self._lock:
                self._idle[key].append(recogniser)


def recognise(listeners: Listeners, model: vosk.Model, pcm: bytes, rate: int) -> str:
    """The words Vosk hears in 16-bit mono PCM at `rate` (the model's rate); may be empty."""
    chunk = 2 * round(rate * _CHUNK_SECONDS)
    with listeners.borrow(model, rate) as recogniser:
        sentences = [
            json.loads(recogniser.Result()).get("text", "")
            for start in range(0, len(pcm), chunk)
            if recogniser.AcceptWaveform(pcm[start : start + chunk])
        ]
        sentences.append(json.loads(recogniser.FinalResult()).get("text", ""))
    return " ".join(sentence for sentence in sentences if sentence)
