"""Tests of voice/audio.py: the phone's mu-law, resampling, frames, WAV files and levels.

References are real tools: sox decodes and encodes G.711 mu-law independently of us, and
espeak-ng makes the speech recordings.
"""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from voice.audio import (
    FRAME_BYTES,
    FRAME_MS,
    LEVEL_FLOOR_DBFS,
    PHONE_RATE,
    ULAW_SILENCE,
    Resampler,
    level_dbfs,
    pcm16_to_ulaw,
    read_wav,
    resample,
    split_frames,
    ulaw_to_pcm16,
    write_wav,
)

ALL_CODES = bytes(range(256))
ALL_SAMPLES = np.arange(-32768, 32768)
SOX_PCM = ["-t", "s16", "-e", "signed", "-L", "-r", "8000", "-c", "1", "-"]
SOX_ULAW = ["-t", "ul", "-r", "8000", "-c", "1", "-"]


def samples(pcm16: bytes) -> np.ndarray:
    return np.frombuffer(pcm16, dtype="<i2").astype(np.int64)


def pcm(values: np.ndarray) -> bytes:
    return np.asarray(values).astype("<i2").tobytes()


def tone(frequency: float, seconds: float, rate: int, amplitude: float = 0.5) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    return pcm(np.round(amplitude * 32767 * np.sin(2 * np.pi * frequency * t)))


def frequency_of(pcm16: bytes, rate: int) -> float:
    """Frequency of a tone from its zero crossings (two per period)."""
    signs = np.signbit(samples(pcm16))
    crossings = np.count_nonzero(signs[1:] != signs[:-1])
    return crossings / 2 / (len(signs) / rate)


def sox(args: list[str], data: bytes) -> bytes:
    return subprocess.run(["sox", *args], input=data, capture_output=True, check=True).stdout


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("speech") / "hello.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "Hello, this is the phone line."], check=True)
    return path


# G.711 mu-law


def test_known_mu_law_values():
    assert pcm16_to_ulaw(pcm([0])) == bytes([ULAW_SILENCE]) == b"\xff"
    assert samples(ulaw_to_pcm16(b"\xff\x7f\x00\x80")).tolist() == [0, 0, -32124, 32124]
    assert pcm16_to_ulaw(pcm([32767, -32768, 32635, -32635])) == b"\x80\x00\x80\x00"


def test_decoding_matches_sox_for_every_byte():
    assert ulaw_to_pcm16(ALL_CODES) == sox([*SOX_ULAW, *SOX_PCM], ALL_CODES)


def test_encoding_agrees_with_sox_to_within_one_level():
    """sox rounds a little differently at level boundaries; never by more than one level."""
    levels = np.unique(samples(ulaw_to_pcm16(ALL_CODES)))
    everything = pcm(ALL_SAMPLES)
    ours = samples(ulaw_to_pcm16(pcm16_to_ulaw(everything)))
    theirs = samples(ulaw_to_pcm16(sox([*SOX_PCM, *SOX_ULAW], everything)))
    steps = np.searchsorted(levels, ours) - np.searchsorted(levels, theirs)
    assert np.abs(steps).max() == 1
    assert np.mean(steps == 0) > 0.99


def test_every_sample_comes_back_within_a_thirty_second_of_its_value():
    clipped = np.clip(ALL_SAMPLES, -32635, 32635)
    back = samples(ulaw_to_pcm16(pcm16_to_ulaw(pcm(ALL_SAMPLES))))
    assert np.all(np.abs(back - clipped) <= (np.abs(clipped) + 132) / 32)
    assert np.all(np.diff(back) >= 0)  # louder in, never quieter out


def test_every_byte_survives_decoding_and_encoding_again():
    again = pcm16_to_ulaw(ulaw_to_pcm16(ALL_CODES))
    assert again == ALL_CODES.replace(b"\x7f", b"\xff")  # 0x7f is "minus zero"


def test_a_round_trip_keeps_a_tone_clean():
    original = samples(tone(440, 1.0, PHONE_RATE))
    noise = samples(ulaw_to_pcm16(pcm16_to_ulaw(pcm(original)))) - original
    snr = 10 * np.log10(np.mean(original.astype(float) ** 2) / np.mean(noise.astype(float) ** 2))
    assert snr > 30  # G.711's signal-to-noise ratio is about 38 dB at this level


# Resampling


def test_one_second_at_8_khz_becomes_one_second_at_16_khz():
    out = resample(tone(440, 1.0, 8000), 8000, 16000)
    assert len(out) // 2 == pytest.approx(16000, abs=16)


@pytest.mark.parametrize(("from_rate", "to_rate"), [(8000, 16000), (22050, 8000), (16000, 8000)])
def test_a_tone_keeps_its_pitch(from_rate, to_rate):
    out = resample(tone(440, 1.0, from_rate), from_rate, to_rate)
    assert frequency_of(out, to_rate) == pytest.approx(440, rel=0.01)


def test_streaming_in_20_ms_chunks_equals_resampling_at_once():
    audio = tone(440, 1.0, 8000) + tone(1000, 0.5, 8000)
    chunk = FRAME_BYTES * 2  # 20 ms of 16-bit samples at 8 kHz
    resampler = Resampler(8000, 16000)
    pieces = [resampler.process(audio[i : i + chunk]) for i in range(0, len(audio), chunk)]
    streamed = b"".join(pieces) + resampler.process(b"", last=True)
    at_once = resample(audio, 8000, 16000)
    assert len(streamed) == len(at_once)
    assert np.abs(samples(streamed) - samples(at_once)).max() <= 16  # of 16383: rounding only


# Frames


def test_frames_are_20_ms_with_the_last_padded_with_silence():
    audio = bytes(range(100)) * 4  # 400 bytes: two full frames and 80 bytes
    frames = split_frames(audio)
    assert [len(frame) for frame in frames] == [FRAME_BYTES] * 3
    assert b"".join(frames) == audio + bytes([ULAW_SILENCE]) * 80


def test_whole_frames_are_not_padded_and_no_audio_gives_no_frames():
    assert split_frames(b"\x01" * FRAME_BYTES * 2) == [b"\x01" * FRAME_BYTES] * 2
    assert split_frames(b"") == []


# WAV files


def test_reads_speech_recorded_by_espeak(speech_wav):
    audio, rate = read_wav(speech_wav)
    assert rate == 22050
    assert 1.0 < len(audio) / 2 / rate < 5.0
    assert level_dbfs(audio) > -40  # speech, not silence


def test_written_wav_reads_back_unchanged(tmp_path, speech_wav):
    audio, rate = read_wav(speech_wav)
    write_wav(tmp_path / "copy.wav", audio, rate)
    assert read_wav(tmp_path / "copy.wav") == (audio, rate)


def test_stereo_is_mixed_down_to_mono(tmp_path):
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(pcm([1000, 3000, -500, -1500]))
    assert read_wav(path) == (pcm([2000, -1000]), 8000)


def test_refuses_wav_that_is_not_16_bit(tmp_path):
    path = tmp_path / "8bit.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(b"\x80" * 100)
    with pytest.raises(ValueError, match="8-bit"):
        read_wav(path)


# Levels


def test_silence_has_the_floor_level():
    assert level_dbfs(pcm([0] * 160)) == LEVEL_FLOOR_DBFS
    assert level_dbfs(b"") == LEVEL_FLOOR_DBFS


def test_a_full_scale_sine_is_3_db_below_full_scale():
    assert level_dbfs(tone(1000, 0.1, 8000, amplitude=1.0)) == pytest.approx(-3.01, abs=0.05)
    assert level_dbfs(tone(1000, 0.1, 8000, amplitude=0.5)) == pytest.approx(-9.03, abs=0.05)


def test_speech_keeps_its_length_and_loudness_through_the_phone_line(speech_wav):
    """espeak's speech, sent as phone frames and decoded for a 16 kHz recogniser."""
    audio, rate = read_wav(speech_wav)
    frames = split_frames(pcm16_to_ulaw(resample(audio, rate, PHONE_RATE)))
    heard = resample(ulaw_to_pcm16(b"".join(frames)), PHONE_RATE, 16000)
    padding = len(heard) / 2 / 16000 - len(audio) / 2 / rate
    assert 0 <= padding <= FRAME_MS / 1000 + 0.001  # at most the last frame's silence
    assert level_dbfs(heard) == pytest.approx(level_dbfs(audio), abs=1.0)
