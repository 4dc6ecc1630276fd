"""The languages the phone line hears and speaks.

The same three as the hub's (`bot.settings.LANGUAGES`), named here again so that voice/
needs nothing from bot/; a unit test keeps the two lists equal.
"""

from __future__ import annotations

from typing import Literal

Language = Literal["fr", "nl", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "nl", "en")
