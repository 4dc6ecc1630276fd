"""A local stand-in of Twilio's REST API: the calls Loket makes, as Twilio serves them.

- `POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`, a live call's update
  (https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource): the form
  recorded (`Twiml`, `Url`, `Status`...) and the Call resource answered as JSON;
- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, a new SMS or WhatsApp message
  (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource):
  the form recorded (`To`, `From` or `MessagingServiceSid`, `Body`, `StatusCallback`) and
  the Message resource answered (201), with a new "SM..." sid, status `queued`.

Both want HTTP basic auth with the account SID and auth token (401 otherwise), 404 for
another account. Tests point the twilio library at it with `LOKET_TWILIO_API_BASE_URL`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "standin-auth-token"
API_VERSION = "2010-04-01"


@dataclass(frozen=True)
class CallUpdate:
    """One update Loket asked for: which call, and the form it posted."""

    call_sid: str
    form: dict[str, str]

    @property
    def twiml(self) -> str:
        return self.form.get("Twiml", "")


@dataclass(frozen=True)
class SentMessage:
    """One message Loket asked Twilio to send: the sid it got, and the form it posted."""

    sid: str
    form: dict[str, str]

    @property
    def to(self) -> str:
        return self.form.get("To", "")

    @property
    def body(self) -> str:
        return self.form.get("Body", "")


@dataclass
class TwilioStandIn:
    """Twilio's REST API for one account; `updates` and `messages` hold what it was asked,
    in order."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    updates: list[CallUpdate] = field(default_factory=list)
    messages: list[SentMessage] = field(default_factory=list)
    server: TestServer | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(
            f"/{API_VERSION}/Accounts/{{account_sid}}/Calls/{{call_sid}}.json", self._update
        )
        app.router.add_post(f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json", self._create)
        return app

    async def start(self) -> str:
        """Serve on a free local port; the base URL to give the twilio library."""
        self.server = TestServer(self.app(), host="127.0.0.1")
        await self.server.start_server()
        return self.url

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    @property
    def url(self) -> str:
        assert self.server is not None, "start the stand-in first"
        return str(self.server.make_url("")).rstrip("/")

    async def _update(self, request: web.Request) -> web.Response:
        if _basic_auth(request) != (self.account_sid, self.auth_token):
            return _error(401, 20003, "Authenticate")
        account_sid = request.match_info["account_sid"]
        if account_sid != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        call_sid = request.match_info["call_sid"]
        posted = await request.post()
        form = {name: value for name, value in posted.items() if isinstance(value, str)}
        self.updates.append(CallUpdate(call_sid, form))
        return web.json_response(_call_resource(account_sid, call_sid))

    async def _create(self, request: web.Request) -> web.Response:
        if _basic_auth(request) != (self.account_sid, self.auth_token):
            return _error(401, 20003, "Authenticate")
        account_sid = request.match_info["account_sid"]
        if account_sid != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        posted = await request.post()
        form = {name: value for name, value in posted.items() if isinstance(value, str)}
        if not form.get("To") or not (form.get("From") or form.get("MessagingServiceSid")):
            return _error(400, 21604, "A 'To' phone number and a 'From' are required.")
        sid = f"SM{len(self.messages) + 1:032x}"
        self.messages.append(SentMessage(sid, form))
        return web.json_response(_message_resource(account_sid, sid, form), status=201)


def _basic_auth(request: web.Request) -> tuple[str, str] | None:
    """The (user, password) of an HTTP basic Authorization header, None without one."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password


def _error(status: int, code: int, message: str) -> web.Response:
    """An error shaped like Twilio's: the library reads `code` and `message` from it."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


def _call_resource(account_sid: str, call_sid: str) -> dict[str, Any]:
    """A live inbound call, as Twilio's Call resource describes it."""
    now = format_datetime(datetime.now(UTC), usegmt=True)
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Calls/{call_sid}"
    return {
        "sid": call_sid,
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "status": "in-progress",
        "direction": "inbound",
        "date_created": now,
        "date_updated": now,
        "start_time": now,
        "end_time": None,
        "duration": None,
        "from": "+32470000000",
        "from_formatted": "0470 00 00 00",
        "to": "+3220000000",
        "to_formatted": "02 000 00 00",
        "parent_call_sid": None,
        "phone_number_sid": "PN" + "0" * 32,
        "price": None,
        "price_unit": "USD",
        "answered_by": None,
        "caller_name": None,
        "forwarded_from": None,
        "group_sid": None,
        "queue_time": "0",
        "trunk_sid": None,
        "annotation": None,
        "uri": f"{uri}.json",
        "subresource_uris": {
            "notifications": f"{uri}/Notifications.json",
            "recordings": f"{uri}/Recordings.json",
        },
    }


def _message_resource(account_sid: str, sid: str, form: dict[str, str]) -> dict[str, Any]:
    """A new outbound message, as Twilio's Message resource describes it."""
    now = format_datetime(datetime.now(UTC), usegmt=True)
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    return {
        "sid": sid,
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": form.get("Body", ""),
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "status": "queued",
        "to": form.get("To"),
        "uri": f"{uri}.json",
        "subresource_uris": {"media": f"{uri}/Media.json"},
    }
