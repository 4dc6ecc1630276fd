"""The Telegram channel (python-telegram-bot): a private chat with the bot is a conversation.

- `webhook`: the bot's connection (webhook at /telegram/webhook, or polling: `polling`);
- `channel`: the one handler of every update, and the sender of messages outside a turn;
- `wire`: Telegram's format (message length, inline keyboards, commands, language codes);
- `voice_notes`: voice messages decoded (PyAV) and heard (Vosk, voice/) on our servers;
- `texts`: what Loket says on Telegram itself, in French, Dutch and English.

docs/messaging.md describes it for whoever runs Loket.
"""

from __future__ import annotations

from bot.channels.telegram.channel import CHANNEL, TelegramChannel, TelegramSender
from bot.channels.telegram.webhook import WEBHOOK_PATH, link_key, setup, webhook_url

__all__ = [
    "CHANNEL",
    "WEBHOOK_PATH",
    "TelegramChannel",
    "TelegramSender",
    "link_key",
    "setup",
    "webhook_url",
]
