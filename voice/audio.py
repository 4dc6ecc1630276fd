"""Phone audio: G.711 mu-law, resampling, 20 ms frames, WAV files and loudness.

Twilio carries calls as 8 kHz mono mu-law; the recogniser wants 16-bit PCM at its
model's rate and the speech engines produce PCM at theirs, so every conversion between
them lives here. PCM is always bytes of little-endian signed 16-bit mono samples.
"""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import soxr

PHONE_RATE = 8000
"""Sample rate of phone audio on Twilio Media Streams (Hz)."""
FRAME_MS = 20
"""Duration of one media frame: Twilio sends, and plays best, 20 ms at a time."""
FRAME_BYTES = PHONE_RATE * FRAME_MS // 1000
"""Bytes of mu-law in one frame (one byte per sample): 160."""
ULAW_SILENCE = 0xFF
"""The mu-law byte for a zero sample."""
LEVEL_FLOOR_DBFS = -100.0
"""What `level_dbfs` returns for digital silence, which has no finite level."""

_PCM = np.dtype("<i2")
_BIAS = 0x84  # G.711 adds it so every magnitude has a leading one in bits 7 to 14
_CLIP = 32635  # the largest magnitude that still fits once the bias is added
_FULL_SCALE = 32768.0


def _decoding_table() -> np.ndarray:
    """The sample of each of the 256 mu-law bytes (G.711, bits stored inverted)."""
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(code & 0x80, -magnitude, magnitude).astype(_PCM)


def _encoding_table() -> np.ndarray:
    """The mu-law byte of each 16-bit sample, indexed by the sample's unsigned bits."""
    sample = np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)
    sign = np.where(sample < 0, 0x80, 0)
    biased = np.minimum(np.abs(sample), _CLIP) + _BIAS
    exponent = np.frexp(biased)[1] - 8  # position of the leading one, counted from bit 7
    mantissa = (biased >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)


# Built once: converting a frame is then a single table look-up per sample.
_ULAW_TO_PCM = _decoding_table()
_PCM_TO_ULAW = _encoding_table()


def _samples(pcm16: bytes) -> np.ndarray:
    """The samples of PCM bytes, without copying."""
    return np.frombuffer(pcm16, dtype=_PCM)


def ulaw_to_pcm16(data: bytes) -> bytes:
    """Decode G.711 mu-law bytes to 16-bit PCM (twice as many bytes)."""
    return _ULAW_TO_PCM[np.frombuffer(data, dtype=np.uint8)].tobytes()


def pcm16_to_ulaw(data: bytes) -> bytes:
    """Encode 16-bit PCM to G.711 mu-law; magnitudes over 32635 are clipped to it."""
    return _PCM_TO_ULAW[np.frombuffer(data, dtype="<u2")].tobytes()


class Resampler:
    """Converts a stream of 16-bit PCM from one sample rate to another, chunk by chunk.

    The filter keeps its state between chunks, so 20 ms pieces come out as if the
    whole stream had been converted at once (after the filter's short delay).
    """

    def __init__(self, from_rate: int, to_rate: int) -> None:
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._stream = soxr.ResampleStream(from_rate, to_rate, 1, dtype="int16")

    def process(self, pcm16: bytes, last: bool = False) -> bytes:
        """Resample the next chunk; `last=True` on the final one flushes the filter."""
        return self._stream.resample_chunk(_samples(pcm16), last=last).astype(_PCM).tobytes()


def resample(pcm16: bytes, from_rate: int, to_rate: int) -> bytes:
    """Resample a whole recording of 16-bit PCM at once."""
    return Resampler(from_rate, to_rate).process(pcm16, last=True)


def split_frames(ulaw: bytes) -> list[bytes]:
    """Cut mu-law audio into 20 ms frames, padding the last one with silence."""
    padded = ulaw + bytes([ULAW_SILENCE]) * (-len(ulaw) % FRAME_BYTES)
    return [padded[start : start + FRAME_BYTES] for start in range(0, len(padded), FRAME_BYTES)]


def read_wav(path: Path | str) -> tuple[bytes, int]:
    """Read a 16-bit PCM WAV file as mono PCM and its sample rate; channels are averaged."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != _PCM.itemsize:
            raise ValueError(f"{path}: {8 * wav.getsampwidth()}-bit samples, not 16-bit PCM")
        channels = wav.getnchannels()
        rate = wav.getframerate()
        frames = wav.readframes(wav.getnframes())
    interleaved = _samples(frames).reshape(-1, channels)
    return interleaved.mean(axis=1).round().astype(_PCM).tobytes(), rate


def write_wav(path: Path | str, pcm16: bytes, rate: int) -> None:
    """Write mono 16-bit PCM to a WAV file."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(_PCM.itemsize)
        wav.setframerate(rate)
        wav.writeframes(pcm16)


def level_dbfs(pcm16: bytes) -> float:
    """Loudness of PCM as its RMS level in dB below full scale.

    A full-scale sine is about -3 dBFS, speech on the phone typically -30 to -15, and
    silence (or no audio) `LEVEL_FLOOR_DBFS`.
    """
    samples = _samples(pcm16).astype(np.float64)
    rms = math.sqrt(np.mean(samples**2)) if samples.size else 0.0
    if rms == 0.0:
        return LEVEL_FLOOR_DBFS
    return max(LEVEL_FLOOR_DBFS, 20 * math.log10(rms / _FULL_SCALE))
