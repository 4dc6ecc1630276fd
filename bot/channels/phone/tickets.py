"""Single-use tickets that tie a call's media stream to the call Twilio announced.

A signed WebSocket upgrade proves the request came from Twilio once, but a recorded
upgrade and `start` message could be played again to open a second session for the
same call, or for a call that is over. So /twilio/voice issues a ticket for its CallSid,
which Twilio brings back in the stream's `start` (a <Parameter> of the <Stream>: Twilio's
stream URL takes no query string). A ticket opens one stream of that call, once, soon
after the call came in, and never after the call ended.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

TICKET_PARAMETER = "ticket"
"""The <Parameter> name that carries the ticket."""
TICKET_SECONDS = 120.0
"""Twilio opens the stream a moment after the TwiML; a ticket older than this is void."""


@dataclass
class StreamTickets:
    """The tickets issued and not used yet, per token."""

    clock: Callable[[], float] = time.monotonic
    _issued: dict[str, tuple[str, float]] = field(default_factory=dict)

    def issue(self, call_sid: str) -> str:
        """A new ticket for one stream of this call."""
        self._forget_old()
        token = secrets.token_urlsafe(24)
        self._issued[token] = (call_sid, self.clock())
        return token

    def admit(self, token: str, call_sid: str) -> bool:
        """Use the ticket for this call's stream: True once, for a fresh ticket of that call."""
        issued = self._issued.pop(token, None)
        if issued is None:
            return False
        ticket_call, at = issued
        return secrets.compare_digest(ticket_call, call_sid) and self._fresh(at)

    def call_ended(self, call_sid: str) -> None:
        """Void the call's unused tickets: a stream of an ended call is refused."""
        for token in [t for t, (sid, _) in self._issued.items() if sid == call_sid]:
            del self._issued[token]

    def _fresh(self, issued_at: float) -> bool:
        return self.clock() - issued_at <= TICKET_SECONDS

    def _forget_old(self) -> None:
        # Calls that never opened their stream (the caller hung up at once) leave tickets.
        for token in [t for t, (_, at) in self._issued.items() if not self._fresh(at)]:
            del self._issued[token]
