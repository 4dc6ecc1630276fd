"""The SMS and WhatsApp channel, through Twilio (docs/messaging.md).

- `webhook`: Twilio's signed messaging webhooks (a message in, delivery reports);
- `channel`: a message's turn (keywords, photos, locations, pages) and the REST sender;
- `segments`: SMS segments (GSM-7 and UCS-2) and pages that fit the medium;
- `render`: a turn's messages as one text with numbered choices;
- `keywords`, `location`, `texts`, `book`: STOP/START/HELP/MORE, the commune of a
  location, what the channel says, and what it remembers.
"""

from __future__ import annotations

from bot.channels.sms.segments import segments
from bot.channels.sms.webhook import messaging_key, setup

__all__ = ["messaging_key", "segments", "setup"]
