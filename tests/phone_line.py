"""The phone line as tests switch it on: the public address and token they sign with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.settings import Settings

BASE = "https://loket.example"
TOKEN = "phone-test-token"


def with_phone_line(settings: Settings, voice_dir: Path, **changes: Any) -> Settings:
    """`settings` with the phone line on and no speech model in `voice_dir` (keypad only)."""
    return settings.model_copy(
        update={
            "public_base_url": BASE,
            "twilio_auth_token": SecretStr(TOKEN),
            "voice_dir": voice_dir,
            **changes,
        }
    )
