"""Twilio's messaging webhooks: a person's SMS or WhatsApp message, and delivery reports.

`POST /twilio/messages` (the number's "A message comes in" webhook) and
`POST /twilio/messages/status` (the status callback of every message Loket sends) are
signed by Twilio over LOKET_PUBLIC_BASE_URL: anything else is a 403 and nothing is
stored. The form is checked before anything is stored (4xx with a clear error); fields
Twilio may add later are ignored, not refused, as Twilio's own documentation asks.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.appkeys import service_key, settings_key
from bot.channels import twilio_signature
from bot.channels.sms.channel import Incoming, MessagingChannel
from bot.channels.sms.segments import segments
from bot.conversations.inbound import SMS_CHANNEL, WHATSAPP_CHANNEL, WHATSAPP_PREFIX
from bot.errors import ApiError
from bot.settings import Settings

log = logging.getLogger(__name__)

MESSAGES_PATH = "/twilio/messages"
STATUS_PATH = "/twilio/messages/status"
MAX_MEDIA = 10  # Twilio's most per message
_MESSAGE_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
_ADDRESS = re.compile(r"^(whatsapp:)?\+[1-9][0-9]{5,14}$")  # E.164, as Twilio writes them


@dataclass
class Messaging:
    """What the webhooks need, built once per application when Twilio is configured."""

    public_base_url: str
    validator: RequestValidator
    channel: MessagingChannel


messaging_key = web.AppKey("messaging", Messaging)


def setup(app: web.Application) -> None:
    """Add the messaging webhooks; at start-up, register the SMS and WhatsApp sender."""
    app.router.add_post(MESSAGES_PATH, receive_message)
    app.router.add_post(STATUS_PATH, message_status)
    app.on_startup.append(_open)  # after the hub's lifecycle has made the service


async def _open(app: web.Application) -> None:
    settings = app[settings_key]
    token = settings.twilio_auth_token.get_secret_value()
    if not (settings.public_base_url and token):
        log.info(
            "SMS and WhatsApp off: set LOKET_PUBLIC_BASE_URL and LOKET_TWILIO_AUTH_TOKEN "
            "to answer messages."
        )
        return
    service = app[service_key]
    base_url = settings.public_base_url.rstrip("/")
    channel = MessagingChannel(service, settings, base_url + STATUS_PATH)
    for name in (SMS_CHANNEL, WHATSAPP_CHANNEL):
        service.outbound.register(name, channel)
    if settings.sms_from and settings.twilio_account_sid:  # Loket can write first by SMS
        service.sms_steps.connect(lambda text: len(segments(text)))  # "these steps by SMS"
    app[messaging_key] = Messaging(base_url, RequestValidator(token), channel)
    log.info("SMS and WhatsApp on: Twilio posts messages to %s", base_url + MESSAGES_PATH)
    _warn_without_senders(settings)


def _warn_without_senders(settings: Settings) -> None:
    """Say at start-up what cannot be sent outside a reply, and how to fix it."""
    if not settings.twilio_account_sid:
        log.warning("Agents' replies by SMS and WhatsApp need LOKET_TWILIO_ACCOUNT_SID.")
    if not settings.sms_from:
        log.info("SMS only answer people's messages: set LOKET_SMS_FROM to send others.")
    if not settings.whatsapp_from:
        log.info("WhatsApp only answers people's messages: set LOKET_WHATSAPP_FROM to send others.")


async def receive_message(request: web.Request) -> web.Response:
    """A person's SMS or WhatsApp message: stored, answered in TwiML."""
    messaging = _messaging(request)
    form = await twilio_signature.signed_form(
        messaging.validator, messaging.public_base_url, request
    )
    incoming = parse_incoming(form, request.config_dict[settings_key].max_text_chars)
    text = await messaging.channel.answer(incoming)
    response = MessagingResponse()
    if text:
        response.message(text)
    return web.Response(text=str(response), content_type="text/xml")


async def message_status(request: web.Request) -> web.Response:
    """Twilio's status callback for a message Loket sent: its delivery, recorded."""
    messaging = _messaging(request)
    form = await twilio_signature.signed_form(
        messaging.validator, messaging.public_base_url, request
    )
    await messaging.channel.report(
        _message_sid(form), form.get("MessageStatus", ""), form.get("ErrorCode", "")
    )
    return web.Response(status=204)


def parse_incoming(form: Mapping[str, str], max_chars: int) -> Incoming:
    """The message Twilio posted; 4xx (ApiError) for a form Twilio would not send."""
    address = form.get("From", "")
    if not _ADDRESS.match(address):
        raise ApiError(422, "invalid_from", "From must be a number in E.164 form (+32...).")
    body = form.get("Body", "")
    if len(body) > max_chars:
        raise ApiError(413, "message_too_long", f"Body is longer than {max_chars} characters.")
    channel = WHATSAPP_CHANNEL if address.startswith(WHATSAPP_PREFIX) else SMS_CHANNEL
    return Incoming(
        sid=_message_sid(form),
        address=address,
        channel=channel,
        body=body,
        media_types=_media_types(form),
        location=_location(form),
    )


def _message_sid(form: Mapping[str, str]) -> str:
    sid = form.get("MessageSid", "")
    if not _MESSAGE_SID.match(sid):
        raise ApiError(
            422, "invalid_message_sid", "MessageSid must be 'SM' or 'MM' and 32 hex digits."
        )
    return sid


def _media_types(form: Mapping[str, str]) -> tuple[str, ...]:
    """The content types of the photos and documents that came with the message."""
    count = form.get("NumMedia", "0") or "0"
    if not (count.isdigit() and int(count) <= MAX_MEDIA):
        raise ApiError(422, "invalid_num_media", f"NumMedia must be 0 to {MAX_MEDIA}.")
    return tuple(form.get(f"MediaContentType{index}", "") or "media" for index in range(int(count)))


def _location(form: Mapping[str, str]) -> tuple[float, float] | None:
    """The point of a WhatsApp location message, if it is one."""
    latitude, longitude = form.get("Latitude"), form.get("Longitude")
    if latitude is None and longitude is None:
        return None
    try:
        point = float(latitude or ""), float(longitude or "")
    except ValueError:
        point = (math.nan, math.nan)
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        raise ApiError(422, "invalid_location", "Latitude and Longitude must both be degrees.")
    return point


def _messaging(request: web.Request) -> Messaging:
    messaging = request.app.get(messaging_key)
    if messaging is None:
        raise ApiError(
            503,
            "messaging_off",
            "SMS and WhatsApp are off: LOKET_PUBLIC_BASE_URL and LOKET_TWILIO_AUTH_TOKEN "
            "are not set.",
        )
    return messaging
