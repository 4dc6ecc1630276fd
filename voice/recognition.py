"""Speech in: Vosk models per language, and one streaming recogniser per call.

A `Recogniser` takes the caller's 8 kHz audio as it arrives and turns it into events:
`SpeechStarted` as soon as the caller is heard (Loket stops talking: barge-in), `Partial`
while they speak, and one `Utterance` when they have finished a sentence.

A sentence is finished after `end_of_speech_ms` of silence following speech, or earlier
when Vosk's own endpoint detector closes it with words. Silence is judged by loudness
against the call's noise floor, not by Vosk alone: on a quiet line Vosk may keep a
sentence open for seconds and run two of them together.

Vosk's final pass over a sentence's words takes tens of milliseconds of CPU. It runs in
the pause, not once the sentence is over, while the caller waits for an answer: a pause
of `PAUSE_CLOSES_WORDS_MS` closes the words heard so far (Vosk's final result), and if
the caller goes on before the end of the sentence, what they say next is recognised
afresh and joined to them. What is heard in such a pause is not decoded either.

A sound that starts like speech but holds no words (a cough, a door) gives a
`SpeechStarted` and then no `Utterance`: whoever reacts to `SpeechStarted` must not
wait for an `Utterance` that may never come.

Vosk hears only what may be speech: from the first loud frame (with the `PREROLL_MS`
before it) to the end of the sentence. A caller is silent most of a call, while Loket
speaks, and decoding silence is most of the CPU a call would otherwise cost (three
recognisers listen at the language menu).

Nothing here logs what a caller said.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import vosk

from voice.audio import FRAME_MS, PHONE_RATE, Resampler, level_dbfs
from voice.languages import LANGUAGES, Language

log = logging.getLogger(__name__)

# Kaldi writes its own log lines to stderr, past our logging and its redaction.
vosk.SetLogLevel(-1)

DEFAULT_MODEL_RATE = 16000
"""Sample rate of a Vosk model whose configuration names none (Hz)."""
SPEECH_ONSET_MS = 60
"""Loud audio for this long counts as the caller starting to speak."""
SPEECH_MARGIN_DB = 15.0
"""How far above the line's noise floor a frame must be to count as speech."""
QUIETEST_FLOOR_DBFS = -60.0
"""The noise floor is never taken lower: digital silence would make any click speech."""
FLOOR_RISE_DB = 0.05
"""How fast the noise floor may rise per frame (2.5 dB/s), so speech does not raise it."""
PARTIAL_EVERY_MS = 100
"""How often Vosk is asked for a partial result: each request costs decoding time."""
PREROLL_MS = 300
"""Quiet audio given to Vosk before the first loud frame: a word may start softly."""
PAUSE_CLOSES_WORDS_MS = 250
"""A pause this long closes the words heard so far (at most half the end-of-speech
silence, so that Vosk's final pass is done before the sentence is over)."""

_T = TypeVar("_T")
_FRAME_BYTES = PHONE_RATE * FRAME_MS // 1000 * 2  # 20 ms of 16-bit PCM at 8 kHz
_WARM_UP_MS = 600  # silence fed to a new decoder, see Recogniser.__init__
_LANGUAGE_NAMES: dict[Language, str] = {"fr": "French", "nl": "Dutch", "en": "English"}


@dataclass(frozen=True)
class SpeechStarted:
    """The caller started to speak (loud audio for a moment, or first words recognised)."""


@dataclass(frozen=True)
class Partial:
    """The words recognised so far in the sentence being spoken."""

    text: str


@dataclass(frozen=True)
class Utterance:
    """A finished sentence of the caller's, never empty."""

    text: str


RecognitionEvent = SpeechStarted | Partial | Utterance


class ModelLoadError(RuntimeError):
    """A Vosk model could not be loaded; the message names its folder."""


def load_model(path: Path) -> vosk.Model:
    """Load the Vosk model in a folder (slow: seconds; run it in a thread)."""
    if not path.is_dir():
        raise ModelLoadError(f"No Vosk model at {path}: the folder does not exist.")
    try:
        return vosk.Model(str(path))
    except Exception as error:  # vosk raises a bare Exception for any failure
        raise ModelLoadError(
            f"Vosk could not load the model in {path}: not a Vosk model folder, or damaged."
        ) from error


def model_rate(path: Path) -> int:
    """The sample rate a Vosk model expects, from its conf/mfcc.conf (16 kHz if unnamed)."""
    try:
        conf = (path / "conf" / "mfcc.conf").read_text()
    except OSError:
        return DEFAULT_MODEL_RATE
    found = re.search(r"^--sample-frequency=(\d+)", conf, re.MULTILINE)
    return int(found.group(1)) if found else DEFAULT_MODEL_RATE


class SpeechModels:
    """The Vosk model of each language, loaded at most once per process.

    Built from each language's model folder (None, or a language left out: no model for
    it); `vosk_model_path` says where a folder is looked for by default.
    """

    def __init__(self, paths: Mapping[Language, Path | None]) -> None:
        self._paths = {language: paths.get(language) for language in LANGUAGES}
        # By folder: one model that stands in for several languages is loaded once.
        self._models: dict[Path, vosk.Model | None] = {}
        self._lock = threading.Lock()

    def path(self, language: Language) -> Path | None:
        """Where the model of a language is looked for."""
        return self._paths[language]

    def available(self, language: Language) -> bool:
        """Whether a model folder is there for a language."""
        path = self._paths[language]
        return path is not None and path.is_dir()

    def missing(self) -> list[Language]:
        """The languages without a model: their calls use the keypad only."""
        return [language for language in LANGUAGES if not self.available(language)]

    def load(self, language: Language) -> vosk.Model | None:
        """The model of a language, loaded on first use (slow: call it in a thread).

        None when the language has no model, or its model cannot be loaded (logged
        once, naming the folder): the call then goes on with the keypad.
        """
        path = self._paths[language]
        if path is None:
            return None
        with self._lock:
            if path not in self._models:
                self._models[path] = self._load(language)
            return self._models[path]

    def rate(self, language: Language) -> int:
        """The sample rate the model of a language expects."""
        path = self._paths[language]
        return model_rate(path) if path is not None else DEFAULT_MODEL_RATE

    def describe(self) -> list[str]:
        """One line per language for start-up messages: which model hears it, or how to get one."""
        return [self._describe(language) for language in LANGUAGES]

    def _load(self, language: Language) -> vosk.Model | None:
        path = self._paths[language]
        if path is None or not path.is_dir():
            return None
        try:
            return load_model(path)
        except ModelLoadError as error:
            log.error("%s Calls in %s use the keypad only.", error, _LANGUAGE_NAMES[language])
            return None

    def _describe(self, language: Language) -> str:
        path = self._paths[language]
        if self.available(language):
            return f"{language}: Vosk model in {path}"
        where = f"looked in {path}" if path is not None else "none configured"
        return (
            f"{language}: no Vosk model ({where}); calls in {_LANGUAGE_NAMES[language]} "
            f"use the keypad only. Get it with: loket voice download {language}"
        )


def vosk_model_path(voice_dir: Path, language: Language, configured: Path | None = None) -> Path:
    """Where the Vosk model of `language` is: `configured`, else voice_dir/vosk-<lang>.

    `voice_dir/vosk-<lang>` is where `loket voice download` installs it.
    """
    return configured or voice_dir / f"vosk-{language}"


class _NoiseFloor:
    """Tells speech from silence by loudness, relative to the line's own noise.

    The floor follows quieter frames at once and louder ones only slowly, so steady
    background noise lifts it within seconds while speech, which pauses, does not.
    """

    def __init__(self) -> None:
        self.floor_dbfs = QUIETEST_FLOOR_DBFS

    def is_speech(self, frame: bytes) -> bool:
        """Whether a frame is speech; the floor follows it."""
        level = level_dbfs(frame)
        loud = self.is_loud(level)
        self.floor_dbfs = max(QUIETEST_FLOOR_DBFS, min(level, self.floor_dbfs + FLOOR_RISE_DB))
        return loud

    def is_loud(self, level: float) -> bool:
        """Whether a level (dBFS) counts as speech over the floor as it is now."""
        return level > self.floor_dbfs + SPEECH_MARGIN_DB


class Recogniser:
    """Streaming recognition of one call's audio with a Vosk model.

    Not thread-safe: feed it from one thread at a time. `accept` is CPU-bound; an
    asyncio caller runs it in an executor. `decoded_seconds` counts all the audio heard
    (Vosk decodes the parts that may be speech); `cpu_seconds / decoded_seconds` is the
    real-time factor.
    """

    def __init__(
        self, model: vosk.Model, end_of_speech_ms: int, rate: int = DEFAULT_MODEL_RATE
    ) -> None:
        self.end_of_speech_ms = end_of_speech_ms
        self.rate = rate
        self._pause_closes_words_ms = min(PAUSE_CLOSES_WORDS_MS, end_of_speech_ms // 2)
        self.decoded_seconds = 0.0
        self.cpu_seconds = 0.0
        recogniser = vosk.KaldiRecognizer(model, rate)
        recogniser.SetWords(False)
        # A new decoder spends a lot of CPU on its first ~0.6 s of audio: pay it now, on
        # silence, while the caller listens to a prompt, not on their first sentence.
        recogniser.AcceptWaveform(bytes(2 * rate * _WARM_UP_MS // 1000))
        recogniser.Reset()
        self._vosk: vosk.KaldiRecognizer | None = recogniser
        self._noise = _NoiseFloor()
        self._pending = b""
        self._resampler = self._new_resampler()
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_MS // FRAME_MS)
        self._start_sentence()

    def accept(self, pcm16_8k: bytes) -> list[RecognitionEvent]:
        """Hear the next piece of the call (8 kHz 16-bit PCM, any length); return what happened."""
        if self._vosk is None:
            raise RuntimeError("This recogniser is closed.")
        self._pending += pcm16_8k
        events: list[RecognitionEvent] = []
        while len(self._pending) >= _FRAME_BYTES:
            frame, self._pending = self._pending[:_FRAME_BYTES], self._pending[_FRAME_BYTES:]
            events += self._hear(frame)
        return events

    def reset(self) -> None:
        """Forget what was heard of the current sentence; the next one starts clean."""
        self._pending = b""
        self._resampler = self._new_resampler()
        # Vosk's Reset() keeps its feature pipeline, with the audio not yet decoded in
        # it: the end of the dropped sentence would be heard as the start of the next
        # one (even as words out of silence). FinalResult() discards that pipeline.
        self._decode(lambda recogniser: recogniser.FinalResult())
        self._restart()

    def renew(self) -> None:
        """Make it ready for another call: forget the sentence, the line's noise floor and
        the counters. Vosk's decoder is kept, with the parts of its graph it has built so
        far (why a recogniser is worth keeping: see voice/recognisers.py)."""
        self.reset()
        self._noise = _NoiseFloor()
        self.decoded_seconds = 0.0
        self.cpu_seconds = 0.0

    def close(self) -> None:
        """Free Vosk's decoder; the recogniser cannot be used afterwards."""
        self._vosk = None

    def is_quiet(self, pcm16_8k: bytes) -> bool:
        """Whether this audio is quiet for the call's line, as far as heard so far. Safe
        from another thread while the recogniser hears: it only reads the noise floor."""
        return not self._noise.is_loud(level_dbfs(pcm16_8k))

    @property
    def real_time_factor(self) -> float:
        """CPU time spent per second of audio heard (0 before any audio)."""
        return self.cpu_seconds / self.decoded_seconds if self.decoded_seconds else 0.0

    def _new_resampler(self) -> Resampler | None:
        return Resampler(PHONE_RATE, self.rate) if self.rate != PHONE_RATE else None

    def _restart(self) -> None:
        """Drop Vosk's sentence and ours (not the audio still to be heard)."""
        self._decode(lambda recogniser: recogniser.Reset())
        self._start_sentence()

    def _start_sentence(self) -> None:
        self._words: list[str] | None = None  # closed words of the sentence, once Vosk heard some
        self._speaking = False
        self._loud_ms = 0
        self._silent_ms = 0
        self._start_words()

    def _start_words(self) -> None:
        self._feeding = False  # Vosk hears the audio: since a loud frame, to a pause
        self._since_partial_ms = 0
        self._partial = ""

    def _hear(self, frame: bytes) -> list[RecognitionEvent]:
        loud = self._noise.is_speech(frame)
        events = self._follow_loudness(loud)
        audio = self._resampler.process(frame) if self._resampler else frame
        self.decoded_seconds += FRAME_MS / 1000
        if not self._feeding:
            if not loud:
                self._preroll.append(audio)
                # Quiet long enough: the end of a sentence, or of a noise that held no words.
                if self._words is not None and self._silent_ms >= self.end_of_speech_ms:
                    return events + self._finish()
                return events
            self._feeding = True
            self._words = self._words or []
            audio = b"".join(self._preroll) + audio
            self._preroll.clear()
        if self._decode(lambda recogniser: recogniser.AcceptWaveform(audio)):
            self._close_words(self._decode(lambda recogniser: recogniser.Result()))
            return events + self._finish()
        if self._silent_ms >= self._pause_closes_words_ms:
            self._close_words(self._decode(lambda recogniser: recogniser.FinalResult()))
            return events
        return events + self._partial_events()

    def _follow_loudness(self, loud: bool) -> list[RecognitionEvent]:
        """Count loud and silent time; the caller starts speaking after a moment of loudness."""
        self._loud_ms = self._loud_ms + FRAME_MS if loud else 0
        self._silent_ms = 0 if loud else self._silent_ms + FRAME_MS
        if not self._speaking and self._loud_ms >= SPEECH_ONSET_MS:
            return self._speech_started()
        return []

    def _speech_started(self) -> list[RecognitionEvent]:
        self._speaking = True
        self._silent_ms = 0  # a sentence found by its words may have started quietly
        return [SpeechStarted()]

    def _partial_events(self) -> list[RecognitionEvent]:
        self._since_partial_ms += FRAME_MS
        if self._since_partial_ms < PARTIAL_EVERY_MS:
            return []
        self._since_partial_ms = 0
        result = self._decode(lambda recogniser: recogniser.PartialResult())
        text = json.loads(result).get("partial", "")
        if not text or text == self._partial:
            return []
        self._partial = text
        started = [] if self._speaking else self._speech_started()
        return [*started, Partial(" ".join([*(self._words or ()), text]))]

    def _close_words(self, result: str) -> None:
        """Keep the words of Vosk's result for the sentence; Vosk hears no more until the
        caller is loud again."""
        text = json.loads(result).get("text", "")
        if text and self._words is not None:
            self._words.append(text)
        # Vosk starts afresh by itself after a result, but may still report the old
        # words as the partial ones until it hears more: reset it outright.
        self._decode(lambda recogniser: recogniser.Reset())
        self._start_words()

    def _finish(self) -> list[RecognitionEvent]:
        """End the sentence with the words closed in it; nothing to say if none."""
        text = " ".join(self._words or ())
        started = [] if self._speaking or not text else [SpeechStarted()]
        self._start_sentence()
        return [*started, Utterance(text)] if text else []

    def _decode(self, call: Callable[[vosk.KaldiRecognizer], _T]) -> _T:
        """Run one Vosk call, counting the CPU time it takes."""
        if self._vosk is None:
            raise RuntimeError("This recogniser is closed.")
        started = time.thread_time()
        try:
            return call(self._vosk)
        finally:
            self.cpu_seconds += time.thread_time() - started
