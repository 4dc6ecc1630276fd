"""Twilio's REST client for the settings' account, shared by the phone line and messages.

`twilio_api_base_url` points the client at another address than api.twilio.com: a local
stand-in in tests. The client blocks: callers run it in a thread, with a time limit.
"""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from bot.settings import Settings

# Twilio's client logs every request's address and headers at INFO: only its warnings here.
_client_log = logging.getLogger(f"{__name__}.client")
_client_log.setLevel(logging.WARNING)


def rest_client(settings: Settings, timeout: float) -> Client:
    """Twilio's REST client for the settings' account, at the settings' address."""
    client = Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        http_client=TwilioHttpClient(timeout=timeout, logger=_client_log),
        # The settings alone say where Twilio is: no TWILIO_EDGE or _REGION from the process.
        environment={},
    )
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    return client


def failure_reason(error: Exception, timeout: float) -> str:
    """Why a request to Twilio failed, in words that hold no phone number or text."""
    if isinstance(error, TwilioRestException):
        return f"Twilio answered {error.status} (error {error.code})"
    if isinstance(error, TimeoutError):
        return f"no answer from Twilio within {timeout:.0f} s"
    return type(error).__name__
