"""Putting a live call through to the helpdesk: Twilio's REST API, through the twilio library.

The call is streamed to Loket by <Connect><Stream>. Updating the call with new TwiML
(`<Response><Dial>number</Dial></Response>`) makes Twilio leave the stream and dial the
number: the caller stays on the line and the stream closes. `twilio_api_base_url` points
the client at another address than api.twilio.com: a local stand-in in tests.
"""

from __future__ import annotations

import asyncio
import logging

from twilio.twiml.voice_response import VoiceResponse

from bot.channels.twilio_rest import failure_reason, rest_client
from bot.settings import Language, Settings

log = logging.getLogger(__name__)

TRANSFER_TIMEOUT_SECONDS = 10.0
"""How long Twilio may take to accept the update before the call goes on with Loket."""
# The voices Twilio's <Say> uses for each language, when a sentence is said by Twilio.
SAY_LANGUAGES: dict[Language, str] = {"fr": "fr-FR", "nl": "nl-NL", "en": "en-GB"}


def dial_twiml(number: str, say: str | None = None, language: Language = "fr") -> str:
    """TwiML that says `say` (if any), then dials `number`, keeping the caller on the line."""
    response = VoiceResponse()
    if say:
        response.say(say, language=SAY_LANGUAGES[language])
    response.dial(number)
    return str(response)


async def transfer_call(
    settings: Settings, call_sid: str, number: str, say: str | None, language: Language
) -> bool:
    """Put the live call `call_sid` through to `number`; False if Twilio did not take it.

    `say` is a sentence Twilio says before it dials (None: nothing). Never raises: a
    failed transfer is logged (without the number) and the call goes on with Loket.
    """
    token = settings.twilio_auth_token.get_secret_value()
    if not (settings.twilio_account_sid and token):
        log.warning("Call %s not transferred: LOKET_TWILIO_ACCOUNT_SID is not set", call_sid)
        return False
    twiml = dial_twiml(number, say, language)
    try:
        # The client blocks: in a thread, so that the other calls' audio keeps flowing.
        await asyncio.wait_for(
            asyncio.to_thread(_update_call, settings, call_sid, twiml),
            TRANSFER_TIMEOUT_SECONDS,
        )
    except Exception as error:  # down, refused, slow or malformed: the call goes on
        reason = failure_reason(error, TRANSFER_TIMEOUT_SECONDS)
        log.warning("Call %s not transferred to the helpdesk: %s", call_sid, reason)
        return False
    log.info("Call %s transferred to the helpdesk", call_sid)
    return True


def _update_call(settings: Settings, call_sid: str, twiml: str) -> None:
    """Give the live call its new TwiML (blocking)."""
    client = rest_client(settings, TRANSFER_TIMEOUT_SECONDS)
    client.calls(call_sid).update(twiml=twiml)
