"""The phone channel: Twilio calls, each one a conversation of the hub.

- `webhooks`: Twilio's signed webhooks and each call's media WebSocket;
- `call`: one call's dialogue (language menu, silence, keypad, hand-over);
- `twiml`: what Twilio is told to do with a call that comes in;
- `prompts`: what the line says itself; `speech`: its models and voices from the settings.

Speech itself (Twilio's wire format, audio, recognition, synthesis) is in voice/.
"""

from __future__ import annotations

from bot.channels.phone.twiml import stream_twiml
from bot.channels.phone.webhooks import (
    PhoneLine,
    contact,
    drain,
    line_key,
    open_line,
    render_prompts,
    setup,
    warm_up,
)

__all__ = [
    "PhoneLine",
    "contact",
    "drain",
    "line_key",
    "open_line",
    "render_prompts",
    "setup",
    "stream_twiml",
    "warm_up",
]
