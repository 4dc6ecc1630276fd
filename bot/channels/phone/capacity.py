"""How many calls the line serves at once (the next caller's refusal: twiml.py).

Each call costs CPU for its speech, recognition above all (docs/benchmarks.md): past some
number of calls at once, every call gets slower. So the line serves at most
`LOKET_MAX_CALLS`; the next caller hears, in French, Dutch and English, that all lines are
busy, and the call ends. Twilio says it with <Say>: a refusal costs the hub nothing.

A call holds its slot from /twilio/voice until its media stream ends. One whose stream
never comes (the caller hung up during the ringing) holds it until its stream ticket
expires (tickets.py) or Twilio's status callback says it ended.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.channels.phone.tickets import TICKET_SECONDS


@dataclass
class CallSlots:
    """The calls in progress, by CallSid, against the limit."""

    limit: int
    clock: Callable[[], float] = time.monotonic
    refused: int = 0
    """Callers turned away since start-up."""
    _announced: dict[str, float] = field(default_factory=dict)  # no stream yet: since when
    _streaming: set[str] = field(default_factory=set)

    @property
    def in_use(self) -> int:
        """Calls holding a slot now."""
        self._forget_unclaimed()
        return len(self._announced) + len(self._streaming)

    def admit(self, call_sid: str) -> bool:
        """Hold a slot for a call coming in; False (and counted) when none is free."""
        if call_sid in self._announced or call_sid in self._streaming:
            return True  # Twilio asked again for the same call
        if self.in_use >= self.limit:
            self.refused += 1
            return False
        self._announced[call_sid] = self.clock()
        return True

    def streaming(self, call_sid: str) -> None:
        """The call's media stream has started: it holds its slot until `ended`."""
        self._announced.pop(call_sid, None)
        self._streaming.add(call_sid)

    def ended(self, call_sid: str) -> None:
        """The call is over (or its stream is): its slot is free."""
        self._announced.pop(call_sid, None)
        self._streaming.discard(call_sid)

    def _forget_unclaimed(self) -> None:
        # Past its ticket's life, a stream would be refused anyway: the slot is free.
        now = self.clock()
        for call_sid in [c for c, at in self._announced.items() if now - at > TICKET_SECONDS]:
            del self._announced[call_sid]
