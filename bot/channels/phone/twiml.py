"""The TwiML answers to Twilio's voice webhook: what happens to a call that comes in.

A call that can start is connected to the media stream. One over the line's capacity
hears that all lines are busy. One that cannot start because a part of Loket is away
for a moment (the database) is not refused: it hears "one moment", then Twilio asks
again (`<Redirect>`), a few seconds apart; only when every try failed is the caller asked
to call again later. Twilio says these with <Say>: they cost the hub nothing.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Connect, VoiceResponse

from bot.channels.phone import prompts
from bot.channels.phone.tickets import TICKET_PARAMETER
from bot.channels.phone.transfer import SAY_LANGUAGES
from voice.line import Line

START_ATTEMPTS = 6
"""How many times a call that cannot start is tried, the first included."""
START_PAUSE_SECONDS = 3
"""The caller's wait between two tries: all of them span about 15 s, a short outage."""
ATTEMPT_PARAMETER = "attempt"


def stream_twiml(media_url: str, call_sid: str, caller: str | None, ticket: str) -> str:
    """TwiML connecting the call to a bidirectional stream, with the call's parameters."""
    connect = Connect()
    stream = connect.stream(url=media_url)
    stream.parameter(name="call_sid", value=call_sid)
    stream.parameter(name=TICKET_PARAMETER, value=ticket)
    if caller is not None:
        stream.parameter(name="caller", value=caller)
    # Nothing after <Connect>: when Loket closes the stream, the call ends.
    return str(VoiceResponse().append(connect))


def busy_twiml() -> str:
    """TwiML for a caller over capacity: all lines are busy, in three languages; hang up."""
    return _said_then_hang_up(prompts.lines_busy())


def start_again_twiml(voice_path: str, attempt: int) -> str:
    """TwiML for a call that could not start at try `attempt`: "one moment" (the first
    time), a pause, then the voice webhook again; past the last try, "call again later"."""
    if attempt >= START_ATTEMPTS:
        return _said_then_hang_up(prompts.not_started())
    response = VoiceResponse()
    if attempt == 1:
        _say(response, prompts.one_moment_all())
    response.pause(length=START_PAUSE_SECONDS)
    response.redirect(f"{voice_path}?{ATTEMPT_PARAMETER}={attempt + 1}", method="POST")
    return str(response)


def _said_then_hang_up(lines: list[Line]) -> str:
    response = VoiceResponse()
    _say(response, lines)
    response.hangup()
    return str(response)


def _say(response: VoiceResponse, lines: list[Line]) -> None:
    for line in lines:
        response.say(line.text, language=SAY_LANGUAGES[line.language])
