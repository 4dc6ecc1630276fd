"""SMS and WhatsApp as the tests switch them on: Twilio's signed webhooks, its REST stand-in.

The hub runs with a pinned clock (office hours), the phone line's public address and
token, and the stand-in's account; `Twilio` plays Twilio's side: it posts a person's
message or a status callback signed with the real RequestValidator, and reads the
TwiML answer.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import ClientResponse, CookieJar
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.appkeys import service_key
from bot.conversations.model import Conversation
from bot.conversations.records import MessageRecord
from bot.conversations.service import ConversationService
from bot.settings import Settings
from tests.console import Clock
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn

BASE = "https://loket.example"
PERSON = "+32470123456"
WHATSAPP_PERSON = "whatsapp:+32470123456"
LOKET_NUMBER = "+3220000001"
LOKET_WHATSAPP = "whatsapp:+3220000002"
_sids = itertools.count(1)


def new_sid() -> str:
    """A fresh MessageSid, as Twilio makes them ("SM" and 32 hex digits)."""
    return f"SM{next(_sids):032x}"


def messaging_settings(settings: Settings, twilio_url: str) -> Settings:
    """`settings` with SMS and WhatsApp on, Twilio's REST API at the stand-in."""
    return settings.model_copy(
        update={
            "public_base_url": BASE,
            "twilio_auth_token": SecretStr(AUTH_TOKEN),
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_api_base_url": twilio_url,
            "sms_from": LOKET_NUMBER,
            "whatsapp_from": LOKET_WHATSAPP,
        }
    )


@asynccontextmanager
async def messaging_hub(settings: Settings, clock: Clock) -> AsyncIterator[TestClient]:
    """The hub; its console's cookies (Secure behind an https:// public address) are sent
    back over the test's plain http, as a browser does over https."""
    server = TestServer(create_app(settings, clock=clock))
    await server.start_server()
    jar = CookieJar(unsafe=True, treat_as_secure_origin=[server.make_url("/")])
    async with TestClient(server, cookie_jar=jar) as client:
        yield client


def signature(url: str, form: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


def message_form(
    body: str, sid: str | None = None, sender: str = PERSON, **extra: str
) -> dict[str, str]:
    """The fields Twilio posts for an incoming message (as its documentation lists them)."""
    sid = sid or new_sid()
    whatsapp = sender.startswith("whatsapp:")
    profile = {"ProfileName": "Fatima", "WaId": sender.removeprefix("whatsapp:+")}
    return {
        "ToCountry": "BE",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": LOKET_WHATSAPP if whatsapp else LOKET_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **(profile if whatsapp else {}),
        **extra,
    }


@dataclass
class Twilio:
    """Twilio's side of the webhooks, for one hub."""

    hub: TestClient

    async def post(self, path: str, form: dict[str, str], **headers: str) -> ClientResponse:
        signed = signature(BASE + path, form) | headers
        return await self.hub.post(path, data=form, headers=signed)

    async def send(self, body: str, sid: str | None = None, **fields: str) -> str:
        """A person's message; the text of the TwiML answer ("" when it has no message)."""
        response = await self.post("/twilio/messages", message_form(body, sid, **fields))
        assert response.status == 200, await response.text()
        assert response.content_type == "text/xml"
        return answer_text(await response.text())

    async def status(self, message_sid: str, status: str, error_code: str = "") -> ClientResponse:
        form = {"MessageSid": message_sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
        if error_code:
            form["ErrorCode"] = error_code
        return await self.post("/twilio/messages/status", form)


def answer_text(twiml: str) -> str:
    """The text of a TwiML messaging answer: its one <Message>, or "" for none."""
    root = ElementTree.fromstring(twiml)
    assert root.tag == "Response"
    messages = [node.text or "" for node in root.iter("Message")]
    assert len(messages) <= 1, "one message per answer"
    return messages[0] if messages else ""


def service_of(hub: TestClient) -> ConversationService:
    return hub.app[service_key]


async def transcript(hub: TestClient, channel: str, address: str) -> list[MessageRecord]:
    """Every message of the person's conversation on `channel` ([] when there is none)."""
    service = service_of(hub)
    async with service.store.session() as session:
        found = await session.scalar(
            select(Conversation.id).where(
                Conversation.channel == channel, Conversation.contact == address
            )
        )
    return await service.store.messages(found, internal=True) if found else []


async def standin() -> TwilioStandIn:
    twilio = TwilioStandIn()
    await twilio.start()
    return twilio
