"""Twilio's request signature, checked the same way for the phone line and for messages.

Twilio signs every webhook with the account's auth token over the public address it
called (LOKET_PUBLIC_BASE_URL plus the path and query) and the form it posted
(https://www.twilio.com/docs/usage/security#validating-requests). Nothing unsigned
reaches the conversation service: a missing or wrong signature is a 403.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import parse_qsl

from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.errors import ApiError

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 100  # Twilio's messaging webhook has about 40 at most


def verify(
    validator: RequestValidator, request: web.Request, url: str, params: Mapping[str, str]
) -> None:
    """Refuse (403) a request without Twilio's signature of `url` and `params`."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not (signature and validator.validate(url, params, signature)):
        log.warning("Refused %s %s: missing or wrong Twilio signature", request.method, url)
        raise ApiError(
            403, "invalid_signature", "This address only answers requests signed by Twilio."
        )


async def signed_form(
    validator: RequestValidator, base_url: str, request: web.Request
) -> dict[str, str]:
    """The webhook's form fields, once its signature over the public URL is checked.

    A body that is not a UTF-8 form is refused (4xx) before the signature is looked at.
    """
    if request.content_type != FORM_TYPE:
        raise ApiError(415, "not_a_form", f"Twilio posts {FORM_TYPE}; this body is not.")
    body = await request.read()
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise ApiError(
            400, "malformed_form", "The body must be a URL-encoded form in UTF-8."
        ) from None
    fields = dict(pairs)
    verify(validator, request, base_url + request.path_qs, fields)
    return fields
