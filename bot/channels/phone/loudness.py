"""The caller talking where no recogniser listens: loud audio, long enough to be speech.

In a language without a speech model the call runs on the keypad, and a caller who
speaks would be met with silence. The call hears their voice here, without words, to
tell them once to use the keys.
"""

from __future__ import annotations

from voice.audio import PHONE_RATE, level_dbfs, ulaw_to_pcm16

SPEECH_DBFS = -35.0
"""Louder than this is a voice (speech on the phone is about -30 to -15 dBFS)."""
SPEECH_SECONDS = 0.4
"""Loud this long, pauses between words included: a voice, not a click or a cough."""
PAUSE_SECONDS = 0.3
"""Quiet this long ends a stretch of voice: the next one counts from zero."""


class VoiceWithoutWords:
    """Counts the caller's loud audio; `hear` says when a stretch of it is speech."""

    def __init__(self) -> None:
        self._loud = 0.0  # seconds of voice in the current stretch
        self._quiet = 0.0  # seconds of quiet since the last loud audio

    def hear(self, ulaw: bytes) -> bool:
        """Take the next piece of the caller's audio; True once per stretch of speech."""
        seconds = len(ulaw) / PHONE_RATE  # mu-law: one byte a sample
        if level_dbfs(ulaw_to_pcm16(ulaw)) < SPEECH_DBFS:
            self._quiet += seconds
            if self._quiet >= PAUSE_SECONDS:
                self._loud = 0.0
            return False
        self._quiet = 0.0
        before, self._loud = self._loud, self._loud + seconds
        return before < SPEECH_SECONDS <= self._loud
