"""Whole recordings (a voice note from a messaging app), decoded and heard in one pass.

Unlike a call, a recording is not a live stream: it is decoded in Python (PyAV, FFmpeg's
libraries; no shell pipeline), resampled at once to the rate the language's Vosk model
expects, and recognised in one go. Both are CPU work: callers run them in a thread.
Nothing here logs what was said.
"""

from __future__ import annotations

import io
import json

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


def recognise(model: vosk.Model, pcm: bytes, rate: int) -> str:
    """The words Vosk hears in 16-bit mono PCM at `rate` (the model's rate); may be empty."""
    recogniser = vosk.KaldiRecognizer(model, rate)
    recogniser.SetWords(False)
    chunk = 2 * round(rate * _CHUNK_SECONDS)
    sentences = [
        json.loads(recogniser.Result()).get("text", "")
        for start in range(0, len(pcm), chunk)
        if recogniser.AcceptWaveform(pcm[start : start + chunk])
    ]
    sentences.append(json.loads(recogniser.FinalResult()).get("text", ""))
    return " ".join(sentence for sentence in sentences if sentence)
