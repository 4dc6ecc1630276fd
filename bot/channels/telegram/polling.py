"""Long polling: the hub asks Telegram for updates, for a machine Telegram cannot reach.

getUpdates waits up to POLL_SECONDS for something new. An update is confirmed (the next
request's offset passes it) only once it has been handled, so a hub that stops midway
is given it again; the channel's idempotency makes that harmless.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.channels.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)

POLL_SECONDS = 30
"""How long one getUpdates request waits for an update (Telegram's long polling)."""
RETRY_SECONDS = (5.0, 60.0)
"""Wait after a failed request (Telegram unreachable, another poller), doubling from the
first to the last while they keep failing: a long outage does not flood the log."""
ALLOWED_UPDATES = ["message", "callback_query"]
"""The updates Loket handles: people's messages and pressed buttons."""


async def poll(bot: Bot, channel: TelegramChannel) -> None:
    """Fetch and handle updates until cancelled."""
    offset: int | None = None
    webhook_removed = False
    retry = RETRY_SECONDS[0]
    while True:
        try:
            if not webhook_removed:  # Telegram refuses getUpdates while a webhook is set
                webhook_removed = await bot.delete_webhook()
            updates = await bot.get_updates(
                offset=offset, timeout=POLL_SECONDS, allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as error:
            log.warning(
                "Polling Telegram failed (%s: %s); trying again in %.0f s",
                type(error).__name__, error.message, retry,
            )  # fmt: skip
            await asyncio.sleep(retry)
            retry = min(2 * retry, RETRY_SECONDS[1])
            continue
        retry = RETRY_SECONDS[0]
        await channel.process_batch(list(updates))
        if updates:
            offset = updates[-1].update_id + 1
