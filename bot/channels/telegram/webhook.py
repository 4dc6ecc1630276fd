"""Telegram in the hub: the bot, its webhook, or polling when Telegram cannot reach the hub.

Which mode runs, decided at start-up and said in the log:

- webhook, when LOKET_PUBLIC_BASE_URL is an https:// address on a public host (not
  localhost, not a private or local address): the hub calls setWebhook with
  `<LOKET_PUBLIC_BASE_URL>/telegram/webhook` and the secret Telegram sends back with
  every update; if Telegram refuses the address, the hub polls instead;
- polling otherwise (a laptop, a machine behind a firewall): the hub asks Telegram.

Both hand every update to the same `TelegramChannel.process`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot, BotCommand, Update
from telegram.error import InvalidToken, TelegramError

from bot.appkeys import service_key, settings_key
from bot.channels.phone.speech import speech_models
from bot.channels.telegram.channel import CHANNEL, TelegramChannel, TelegramSender
from bot.channels.telegram.polling import ALLOWED_UPDATES, poll
from bot.channels.telegram.texts import COMMANDS
from bot.errors import ApiError

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TELEGRAM_API = "https://api.telegram.org"
READY_SECONDS = 10.0
"""How long a webhook request waits for the bot to be connected before a 503."""
RECONNECT_SECONDS = (10.0, 300.0)
"""Wait between attempts to reach Telegram at start-up, doubling from the first to the last."""
# Local names Telegram can never reach.
_LOCAL_SUFFIXES = (".localhost", ".local", ".lan", ".internal", ".home.arpa")
# Libraries that log request URLs (with the bot's token in them) or message texts.
_QUIET_LOGGERS = {"httpx": logging.WARNING, "telegram": logging.INFO}


@dataclass
class TelegramLink:
    """The hub's connection to Telegram: the channel, the webhook's secret, its state."""

    channel: TelegramChannel
    secret: str
    webhook_url: str | None
    ready: asyncio.Event = field(default_factory=asyncio.Event)


link_key = web.AppKey("telegram_link", TelegramLink)


def setup(app: web.Application) -> None:
    """Add Telegram's webhook to the hub, and its connection to the hub's life."""
    app.router.add_post(WEBHOOK_PATH, receive)
    app.cleanup_ctx.append(_connected)


def webhook_url(public_base_url: str) -> str | None:
    """Where Telegram posts updates, if it can reach the hub at `public_base_url`; None: poll."""
    address = urlsplit(public_base_url)
    host = (address.hostname or "").lower()
    if address.scheme != "https" or not host:
        return None
    try:
        public = ipaddress.ip_address(host).is_global
    except ValueError:  # a name: public if it is a domain name of the internet
        public = "." in host and host != "localhost" and not host.endswith(_LOCAL_SUFFIXES)
    return public_base_url.rstrip("/") + WEBHOOK_PATH if public else None


def make_bot(token: str, api_base_url: str = "") -> Bot:
    """The Bot API client, at Telegram's address or another one (a stand-in in tests)."""
    base = (api_base_url or TELEGRAM_API).rstrip("/")
    return Bot(token, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")


async def receive(request: web.Request) -> web.Response:
    """One update from Telegram: checked, handled, then answered 200 (Telegram's receipt)."""
    link = request.app.get(link_key)
    if link is None:
        raise web.HTTPNotFound(text="Telegram is not configured on this hub.")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), link.secret.encode()):
        raise ApiError(403, "forbidden", f"Missing or wrong {SECRET_HEADER}.")
    update = _update(await request.read(), link.channel.bot)
    try:
        await asyncio.wait_for(link.ready.wait(), READY_SECONDS)
    except TimeoutError:
        raise ApiError(
            503, "not_ready", "Not connected to Telegram yet.", **{"Retry-After": "10"}
        ) from None
    try:
        await link.channel.process(update)
    except Exception:  # Telegram sends it again later; the core answers it once
        log.exception("Telegram update %d could not be handled", update.update_id)
        raise ApiError(500, "not_handled", "The update could not be handled.") from None
    return web.json_response({})


def _update(body: bytes, bot: Bot) -> Update:
    """The update in a webhook's body, or a 400 that says what is wrong with it."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise ValueError("not an update")
        return Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        raise ApiError(
            400, "malformed_update", "The body must be a Telegram Update in JSON (UTF-8)."
        ) from None


async def _connected(app: web.Application) -> AsyncIterator[None]:
    """While the hub runs: the bot connected, by webhook or polling (see the module's doc)."""
    settings = app[settings_key]
    token = settings.telegram_bot_token.get_secret_value()
    if not token:
        log.info("Telegram off: set LOKET_TELEGRAM_BOT_TOKEN to answer on Telegram.")
        yield
        return
    for name, level in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, logging.getLogger(name).getEffectiveLevel()))
    service = app[service_key]
    bot = make_bot(token, settings.telegram_api_base_url)
    channel = TelegramChannel(bot, service, settings, speech_models(settings))
    service.outbound.register(CHANNEL, TelegramSender(bot))
    secret = settings.telegram_webhook_secret.get_secret_value() or secrets.token_urlsafe(32)
    link = TelegramLink(channel, secret, webhook_url(settings.public_base_url))
    app[link_key] = link
    if link.webhook_url:
        log.info("Telegram on: webhook at %s", link.webhook_url)
    else:
        log.info("Telegram on: polling (LOKET_PUBLIC_BASE_URL is not a public https:// address)")
    running = asyncio.create_task(_run(link))
    yield
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    with contextlib.suppress(TelegramError, RuntimeError):
        await bot.shutdown()


async def _run(link: TelegramLink) -> None:
    """Connect (trying until Telegram answers), set the webhook or poll."""
    bot = link.channel.bot
    try:
        await _connect(bot)
    except InvalidToken:  # its message holds the token: not logged
        log.error("Telegram refused LOKET_TELEGRAM_BOT_TOKEN: Telegram stays off.")
        return
    if link.webhook_url:
        try:
            await bot.set_webhook(
                link.webhook_url, secret_token=link.secret, allowed_updates=ALLOWED_UPDATES
            )
            link.ready.set()
            return
        except TelegramError as error:
            log.error("Telegram refused the webhook (%s): polling instead.", error.message)
            link.webhook_url = None
    link.ready.set()
    await poll(bot, link.channel)


async def _connect(bot: Bot) -> None:
    """getMe until it works (Telegram may be unreachable for a while); then the commands."""
    retry = RECONNECT_SECONDS[0]
    while True:
        try:
            await bot.initialize()
            break
        except InvalidToken:
            raise
        except TelegramError as error:
            log.warning(
                "Telegram cannot be reached (%s); trying again in %.0f s", error.message, retry
            )
            await asyncio.sleep(retry)
            retry = min(2 * retry, RECONNECT_SECONDS[1])
    try:
        for language, commands in COMMANDS.items():
            menu = [BotCommand(name, description) for name, description in commands.items()]
            await bot.set_my_commands(menu, language_code=language)
    except TelegramError as error:  # the menu is a convenience: typed commands work without it
        log.warning("Telegram's command menu not set: %s", error.message)
