"""Telegram voice notes, heard on our servers with voice/'s recordings and Vosk models.

The limits are Telegram's side of it: how long a note Loket listens to, and how large a
file it downloads. Nothing here logs what was said.
"""

from __future__ import annotations

from bot.settings import Language
from voice.recognition import SpeechModels
from voice.recordings import Listeners, decode, recognise

MAX_SECONDS = 120
"""Longest voice note Loket listens to; longer ones are refused before download."""
MAX_BYTES = 2 * 1024 * 1024
"""Largest voice note file downloaded (Opus voice takes about 4 KB a second)."""


class NoModel(LookupError):
    """No speech model can be loaded for the language: Loket cannot listen in it."""


def transcribe(models: SpeechModels, listeners: Listeners, language: Language, data: bytes) -> str:
    """What is said in a voice note in `language` (blocking: run it in a thread).

    Raises NoModel when the language has no model that loads, voice.recordings'
    RecordingError when the file cannot be heard.
    """
    model = models.load(language)
    if model is None:
        raise NoModel(language)
    rate = models.rate(language)
    return recognise(listeners, model, decode(data, rate, MAX_SECONDS), rate)
