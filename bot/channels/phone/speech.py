"""The phone line's speech models and voices, where the settings say they are.

voice/ takes plain paths; this is the one place that reads them from the hub's settings
(`vosk_model_<lang>`, `piper_voice_<lang>`, else the files under `voice_dir`), and the
speech settings of the line (recognisers kept ready, the wait for synthesis).
"""

from __future__ import annotations

from pathlib import Path

from bot.settings import LANGUAGES, Language, Settings
from voice.recognisers import RecogniserPool
from voice.recognition import SpeechModels, vosk_model_path
from voice.synthesis import Speaker, piper_voice_path, speaker_for


def speech_models(settings: Settings) -> SpeechModels:
    """The Vosk model of each language, as configured (loaded on first use)."""
    return SpeechModels(
        {
            language: vosk_model_path(
                settings.voice_dir, language, _configured(settings, "vosk_model", language)
            )
            for language in LANGUAGES
        }
    )


def recogniser_pool(settings: Settings) -> RecogniserPool:
    """Recognisers for the line's calls: as many kept ready per language as calls at once."""
    return RecogniserPool(speech_models(settings), settings.end_of_speech_ms, settings.max_calls)


def speaker(settings: Settings) -> Speaker:
    """Piper where a voice is installed for a language, espeak-ng for the others."""
    return speaker_for(
        {
            language: piper_voice_path(
                settings.voice_dir, language, _configured(settings, "piper_voice", language)
            )
            for language in LANGUAGES
        },
        settings.synthesis_timeout_seconds,
    )


def _configured(settings: Settings, name: str, language: Language) -> Path | None:
    """The setting `<name>_<language>`: one per language, so looked up by name."""
    path: Path | None = getattr(settings, f"{name}_{language}")
    return path
