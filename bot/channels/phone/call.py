"""One phone call, from Twilio's `start` to the hang-up: the phone line's dialogue.

A call is a conversation of the hub like any other (channel "phone"): each sentence the
caller says or key they press is one turn of `ConversationService`, and its replies are
spoken. Around the turns, the session does what only a phone needs:

- the language menu (by voice or keypad), skipped for a caller whose language is known
  (who hears, after the greeting, that it was remembered and how to change it);
- key 9, at any moment, the language menu again: a shared phone is never stuck;
- a language without a speech model: the brain's texts say "press", and a caller who
  speaks anyway is told once to use the keys;
- barge-in: the caller speaking or pressing a key stops Loket at once (`clear`);
- "one moment" while the brain is slow, and the keypad still working when it is down;
- silence: a reprompt, then the menu, then a polite goodbye and the hang-up;
- `*` repeats, a second `*` (or "slower") repeats the last answer slowly;
- `8` says the last answer's phone numbers again, slowly (offered once, after the first);
- a phone number the core asks for is typed as one message, up to `#` (keypad.py);
- a hand-over in office hours puts the call through to the helpdesk (transfer.py); in
  every other state the call goes on, turn after turn;
- messages from outside the turns (an agent's reply, a late answer) are spoken when the
  caller is not speaking, after what Loket is saying (`say`, for sender.py).

Life cycle: `run` waits for the stream's start, then three tasks serve the call - the
reader (Twilio's events to where they belong), the `Listener` (audio to recognition
events) and the dialogue (turns); the `Player` speaks in tasks of its own. When the
caller hangs up, the socket drops, a task fails or the dialogue ends the call, every
task is cancelled and the recognisers given back to the pool before `run` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from bot.channels.phone import keypad, prompts
from bot.channels.phone.loudness import VoiceWithoutWords
from bot.channels.phone.sender import PhoneSender
from bot.channels.phone.transfer import transfer_call
from bot.conversations.inbound import (
    KEYS_ONLY,
    PHONE_CHANNEL,
    InboundMessage,
    call_conversation_id,
)
from bot.conversations.model import State
from bot.conversations.service import ConversationService, Turn
from bot.settings import LANGUAGES, Language, Settings
from voice.line import Line
from voice.listener import Listener
from voice.media_stream import Dtmf, Mark, Media, Start, Stop, TwilioEvent
from voice.player import Player
from voice.recognisers import RecogniserPool
from voice.recognition import Partial, Recogniser, RecognitionEvent, SpeechStarted, Utterance
from voice.synthesis import Speaker

log = logging.getLogger(__name__)

SILENCES_BEFORE_GOODBYE = 3
"""Silences in a row: a reprompt, the menu, then goodbye."""
GREET = "/greet"
LANGUAGE_KEYS: dict[str, Language] = {"1": "fr", "2": "nl", "3": "en"}
SMS_KEY = "7"
"""The steps of the current procedure by SMS (spoken menus never read more than 6 options)."""
# The keys that mean the same on every menu (the digits 1-9 pick a menu's n-th option).
# Payloads are intents of domain.yml, as the brain's buttons send them.
MENU = "/show_menu"
SMS_STEPS = "/send_steps_by_sms"
KEY_PAYLOADS = {"*": "/step_repeat", "0": "/request_human", "#": MENU, SMS_KEY: SMS_STEPS}
REPEAT_KEY = "*"
LANGUAGE_KEY = "9"
"""The language menu again, at any moment (menus never read more than 7 options)."""
NUMBER_KEY = "8"
"""Says the phone numbers of the last answer again, slowly (menus stop at 7 keys)."""
CALLER_PAUSE_SECONDS = 2.0
"""The caller has stopped speaking when nothing was heard of them for this long (a cough
starts like speech and never ends as a sentence)."""
STREAM_CLOSE_SECONDS = 5.0
"""After a transfer, how long Twilio may take to close the stream before Loket does."""

Heard = Dtmf | Utterance
"""What the caller can say or press to take a turn."""
Transfer = Callable[[Settings, str, str, str | None, Language], Awaitable[bool]]
"""Puts a call through to a number: `transfer_call`'s signature."""


class _Played:
    """The caller has heard everything Loket said (the player's last mark came back)."""


class _Unheard:
    """The caller spoke, in a language no recogniser can hear."""


Inbound = RecognitionEvent | Dtmf | _Played | _Unheard


class CallEnd(StrEnum):
    """Why a call ended, as its log line and `CallStats.ended_because` say."""

    HUNG_UP = "the caller hung up"
    """Twilio's `stop`: the caller hung up, or Twilio ended the call."""
    STREAM_CLOSED = "the stream closed"
    """The socket closed, broke or went silent without a `stop`."""
    GOODBYE = "goodbye"
    """The brain's farewell was said."""
    SILENCE = "silence"
    """The caller said nothing through a reprompt and the menu (or the language menu)."""
    TRANSFERRED = "transferred"
    """Put through to the helpdesk."""
    DIALOGUE_ENDED = "the dialogue ended"
    """The dialogue returned without one of the reasons above."""
    HUB_STOPPING = "the hub is stopping"
    """The call outlived the hub's drain (`hang_up`)."""
    ERROR = "an error"
    """A task of the call failed (logged with its traceback)."""


@dataclass
class CallStats:
    """How one call went, for the benchmark. Seconds, on the event loop's clock."""

    call_sid: str = ""
    ended_because: CallEnd | None = None
    """The first `CallEnd` of the call; None while it goes on."""
    after_speech: list[float] = field(default_factory=list)
    """Per spoken turn: the audio that ended the caller's sentence arrived -> Loket's first
    frame (the filler's, when the brain was slow)."""
    after_key: list[float] = field(default_factory=list)
    """Per key pressed: the key arrived -> Loket's first frame."""
    synthesis: list[float] = field(default_factory=list)
    """Per line spoken: the speaker asked -> its first audio."""
    barge_in: list[float] = field(default_factory=list)
    """Per barge-in: the audio in which the caller started speaking arrived -> clear sent."""
    decoded_seconds: float = 0.0
    """Audio decoded by the call's recognisers, each counted (three at the language menu)."""
    recognition_cpu_seconds: float = 0.0
    """CPU time the recognisers took: over `decoded_seconds`, their real-time factor."""

    def count_recognition(self, recognisers: Iterable[Recogniser]) -> None:
        """Add what these recognisers decoded, and the CPU time it took."""
        for recogniser in recognisers:
            self.decoded_seconds += recogniser.decoded_seconds
            self.recognition_cpu_seconds += recogniser.cpu_seconds


async def _stream_start(events: AsyncIterator[TwilioEvent]) -> Start | None:
    """Read up to the stream's start; None if the stream stopped first."""
    async for event in events:
        if isinstance(event, Start):
            return event
        if isinstance(event, Stop):
            return None
    return None


class CallSession:
    """One call on the phone line; `run` serves it from start to hang-up."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        service: ConversationService,
        speaker: Speaker,
        recognisers: RecogniserPool,
        settings: Settings,
        sender: PhoneSender | None = None,
        transfer: Transfer = transfer_call,
    ) -> None:
        """`recognisers` lends the call its recognisers; `sender` learns when the call is
        live; `transfer` puts it through to a number."""
        self.stats = CallStats()
        self._service = service
        self._pool = recognisers
        self._settings = settings
        self._sender = sender
        self._transfer_call = transfer
        self._tasks: set[asyncio.Task[None]] = set()
        self._over = asyncio.Event()
        self._finished = asyncio.Event()  # `run` has let go of everything
        self._inbox: asyncio.Queue[tuple[Inbound, float]] = asyncio.Queue()
        # Sentences and keys that came while the brain was thinking: the next turns.
        self._heard_early: deque[tuple[Heard, float]] = deque()
        self._listener = Listener(self._recognised, self._release)
        self._player = Player(
            send,
            speaker,
            self._spawn,
            on_idle=lambda: self._inbox.put_nowait((_Played(), self._now())),
            on_audio=self._answered,
            on_synthesis=self.stats.synthesis.append,
            mark_wait_seconds=settings.mark_wait_seconds,
        )
        self._conversation_id = ""
        self._call_sid = ""
        self._language: Language = settings.default_language
        self._last_answer: list[Line] = []
        self._last_key = ""
        self._told_number_key = False  # "to hear the number again, press 8": said once
        self._told_sms_key = False  # "to get these steps by SMS, press 7": said once
        self._told_keypad_only: set[Language] = set()
        self._voice_without_words: VoiceWithoutWords | None = None  # set while keys only
        self._waiting: tuple[list[float], float] | None = None  # (stats list, since) of a turn
        self._taking: set[asyncio.Future[Recogniser | None]] = set()  # from the pool, now
        self._expects_digits = False  # the last turn asked for a number: keys are its digits
        self._transferred = False  # the call is the helpdesk's now
        self._voice_at: float | None = None  # when the caller was last heard mid-sentence
        self._voice_changed = asyncio.Event()  # the caller was heard, or ended a sentence
        self._notices: asyncio.Queue[Line] = asyncio.Queue()  # messages from outside turns

    @property
    def call_sid(self) -> str:
        """Twilio's id of the call, once its stream has started ("" before)."""
        return self._call_sid

    def tasks_alive(self) -> int:
        """Tasks of this call still running (none once `run` has returned)."""
        return len(self._tasks)

    async def run(self, events: AsyncIterator[TwilioEvent]) -> None:
        """Serve the call until it ends; every task and recogniser is let go on return."""
        try:
            start = await _stream_start(events)
            if start is None:
                return
            self._call_sid = self.stats.call_sid = start.call_sid
            self._conversation_id = call_conversation_id(start.call_sid)
            self._player.stream_sid = start.stream_sid
            log.info("Call %s: stream started", start.call_sid)
            self._spawn(self._read(events), ends_call=CallEnd.STREAM_CLOSED)
            self._spawn(self._listener.run())
            caller = start.custom_parameters.get("caller")
            self._spawn(self._converse(caller), ends_call=CallEnd.DIALOGUE_ENDED)
            self._spawn(self._speak_notices())
            if self._sender is not None:
                self._sender.call_started(self._conversation_id, self)
            await self._over.wait()
        finally:
            if self._sender is not None and self._conversation_id:
                self._sender.call_ended(self._conversation_id, self)
            await self._clean_up()
            self._finished.set()
        log.info(
            "Call %s: ended (%s), %d sentence(s) heard",
            start.call_sid,
            self.stats.ended_because,
            self.sentences_heard,
        )

    @property
    def caller_speaking(self) -> bool:
        """Whether the caller is in the middle of a sentence, as far as heard so far:
        messages from outside the turns wait for its end (or a long pause)."""
        return self._voice_at is not None

    @property
    def sentences_heard(self) -> int:
        """How many of Loket's sentences the caller heard to the end (Twilio's marks)."""
        return self._player.sentences_heard

    def say(self, text: str, language: Language) -> bool:
        """Speak a message from outside the turns (an agent's reply) on this call.

        It is spoken after what Loket is saying now, once the caller is not speaking:
        nothing is cut short. False when the call is over or with the helpdesk now.
        """
        if self._over.is_set() or self._transferred:
            return False
        self._notices.put_nowait(Line(text, language))
        return True

    async def hang_up(self, timeout: float) -> None:
        """The hub is stopping and this call outlived the drain: tell the caller in their
        language that the call must end (the conversation is kept), then end it. Bounded
        by `timeout`: a caller who keeps talking does not hold the hub up. Returns once the
        call has let go of everything, so that its stream is closed as a call's end."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                if not self._over.is_set():
                    await self._caller_paused()
                    await self._player.interrupt()  # what was being said cannot be finished
                    await self._say_last([prompts.line_closing(self._language)])
                    self._end(CallEnd.HUB_STOPPING)
                await self._finished.wait()
        self._end(CallEnd.HUB_STOPPING)

    # ---------------------------------------------------------------- tasks

    def _spawn(
        self, work: Coroutine[Any, Any, None], ends_call: CallEnd | None = None
    ) -> asyncio.Task[None]:
        """Run `work` as a task of this call; with `ends_call`, the call ends (for that
        reason, unless one was given before) when it returns."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(partial(self._task_done, ends_call))
        return task

    def _task_done(self, ends_call: CallEnd | None, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("Call %s: hanging up after an error", self._conversation_id, exc_info=error)
            self._end(CallEnd.ERROR)
        elif ends_call is not None:
            self._end(ends_call)

    def _end(self, reason: CallEnd) -> None:
        """End the call; the first reason given is the one kept."""
        if self.stats.ended_because is None:
            self.stats.ended_because = reason
        self._over.set()

    async def _clean_up(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._player.close()
        await self._listener.close()
        # A recogniser still being taken when the call ended, or taken and not yet
        # listening: the listener never had it, so it is given back here.
        taken = await asyncio.gather(*self._taking, return_exceptions=True)
        for recogniser in taken:
            if isinstance(recogniser, Recogniser):
                self._release(recogniser)

    # ---------------------------------------------------------------- what comes in

    async def _read(self, events: AsyncIterator[TwilioEvent]) -> None:
        """Hand Twilio's events to whoever needs them; return when the stream stops."""
        async for event in events:
            if isinstance(event, Media):
                self._listener.hear(event.audio)
                if self._voice_without_words and self._voice_without_words.hear(event.audio):
                    self._inbox.put_nowait((_Unheard(), self._now()))
            elif isinstance(event, Dtmf):
                self._inbox.put_nowait((event, self._now()))
            elif isinstance(event, Mark):
                self._player.on_mark(event.name)
            elif isinstance(event, Stop):
                self._end(CallEnd.TRANSFERRED if self._transferred else CallEnd.HUNG_UP)
                return

    def _recognised(self, event: RecognitionEvent, at: float) -> None:
        # The caller is mid-sentence: messages from outside the turns wait. The sentence's
        # end is marked by the dialogue once it has taken it (`_barge_in`), not here, so a
        # message that waited is not cut by the barge-in of the very sentence it waited for.
        if isinstance(event, SpeechStarted | Partial):
            self._voice_at = at
            self._voice_changed.set()
        self._inbox.put_nowait((event, at))

    async def _next(self) -> Heard | None:
        """The caller's next sentence or key; None after a silence.

        A silence is `silence_reprompt_seconds` without a sound from the caller once
        Loket has finished speaking. The caller speaking or pressing a key while Loket
        speaks stops Loket at once (barge-in); what they say is still heard in full.
        """
        quiet_since = None if self._player.busy else self._now()
        while True:
            timeout = None
            if quiet_since is not None:
                timeout = quiet_since + self._settings.silence_reprompt_seconds - self._now()
            try:
                async with asyncio.timeout(timeout):
                    event, at = await self._take_from_inbox()
            except TimeoutError:
                if self._player.busy:  # a message from outside the turns is being spoken
                    quiet_since = None
                    continue
                return None
            if isinstance(event, _Played | Partial):
                # Loket fell silent, or the caller is still talking: the silence starts again.
                quiet_since = None if self._player.busy else self._now()
                continue
            if isinstance(event, _Unheard):
                self._tell_keypad_only()
                quiet_since = None
                continue
            await self._barge_in(event, at)
            if isinstance(event, Dtmf | Utterance):
                self._waiting = (
                    self.stats.after_key if isinstance(event, Dtmf) else self.stats.after_speech,
                    at,
                )
                return event
            quiet_since = self._now()  # SpeechStarted: a sound that may hold no words

    async def _take_from_inbox(self) -> tuple[Inbound, float]:
        """What the caller did next: first what they did while the brain was thinking."""
        if self._heard_early:
            return self._heard_early.popleft()
        return await self._inbox.get()

    async def _barge_in(self, event: Inbound, onset: float) -> None:
        """The caller spoke or pressed a key: Loket stops talking."""
        since = self._player.since
        if await self._player.interrupt() and since is not None and onset >= since:
            self.stats.barge_in.append(self._now() - onset)
        if isinstance(event, Utterance):  # the sentence is over: Loket may speak again
            self._voice_at = None
            self._voice_changed.set()

    def _answered(self, sent_at: float) -> None:
        """Loket's first frame after the caller's turn went out."""
        if self._waiting is not None:
            timings, since = self._waiting
            timings.append(sent_at - since)
            self._waiting = None

    # ---------------------------------------------------------------- the dialogue

    async def _converse(self, caller: str | None) -> None:
        """The whole call: language, greeting, then turns until someone ends it."""
        remembered = await self._service.start_call(self._conversation_id, caller)
        if remembered is None:
            going_on = await self._change_language()
        else:
            going_on = await self._greet(remembered)
            if going_on:  # once, after the greeting: on a shared phone, how to change it
                self._player.play([prompts.language_remembered(remembered)])
        if going_on:
            await self._turns()

    async def _change_language(self) -> bool:
        """The language menu, then the greeting in the language chosen (remembered for the
        caller's number); False when the call is to end."""
        language = await self._choose_language()
        return language is not None and await self._greet(language)

    async def _greet(self, language: Language) -> bool:
        """Go on in `language`, greeted in it; False when the call is to end.

        Its recogniser is made while the brain greets (it may take a second on a busy
        machine): the caller hears the greeting that much sooner.
        """
        self._speak_in(language)
        hearing = self._spawn(self._hear_in(language))
        going_on = await self._turn(GREET, chosen=language)
        await hearing
        return going_on

    async def _choose_language(self) -> Language | None:
        """Ask for the language in all three; None if the caller never answers."""
        # The menu starts at once; models load (the first call's may take seconds) meanwhile.
        speech = any(self._pool.available(language) for language in LANGUAGES)
        self._player.play(prompts.language_menu(speech))
        await self._listen_in(LANGUAGES)
        silences = 0
        while silences < SILENCES_BEFORE_GOODBYE:
            heard = await self._next()
            if heard is None:
                silences += 1
                if silences < SILENCES_BEFORE_GOODBYE:
                    self._player.play(prompts.language_menu(speech))
                continue
            silences = 0
            language = _chosen_language(heard)
            if language is not None:
                return language
            self._player.play(prompts.language_not_caught(speech))
        await self._say_last(prompts.silent_goodbye_everyone())
        self._end(CallEnd.SILENCE)
        return None

    async def _turns(self) -> None:
        """Answer the caller turn after turn, until goodbye, a transfer or a long silence."""
        silences = 0
        while True:
            heard = await self._next()
            if heard is None:
                silences += 1
                if not await self._after_silence(silences):
                    return
                continue
            silences = 0
            if not await self._take(heard):
                return

    async def _take(self, heard: Heard) -> bool:
        """Answer one sentence or key; False when the call is to end."""
        expecting, self._expects_digits = self._expects_digits, False
        if expecting and isinstance(heard, Dtmf) and keypad.starts_a_number(heard.digit):
            return await self._take_number(heard)
        if isinstance(heard, Dtmf) and heard.digit == LANGUAGE_KEY:
            self._last_key = ""
            return await self._change_language()
        if isinstance(heard, Dtmf) and heard.digit == NUMBER_KEY:
            said = [line.text for line in self._last_answer]
            self._player.play([prompts.the_numbers(self._language, said)], slow=True)
            return True
        if isinstance(heard, Dtmf):
            slower = heard.digit == REPEAT_KEY and self._last_key == REPEAT_KEY
            self._last_key = heard.digit
            text = KEY_PAYLOADS.get(heard.digit, heard.digit)
        else:
            slower = prompts.asks_slower(heard.text)
            self._last_key = ""
            text = heard.text
        if slower:
            self._player.play(self._last_answer, slow=True)  # no need to ask the brain
            return True
        return await self._turn(text)

    def _number_key_hint(self, language: Language) -> list[Line]:
        """How to hear a number again: said once, after the first answer that holds one."""
        said = [line.text for line in self._last_answer]
        if self._told_number_key or not prompts.holds_a_number(said):
            return []
        self._told_number_key = True
        return [prompts.number_key_hint(language)]

    def _sms_key_hint(self, turn: Turn) -> list[Line]:
        """How to get the steps by SMS: said once, after the first step of a procedure."""
        if self._told_sms_key or turn.conversation.topic is None:
            return []
        if not self._service.can_send_steps_by_sms():
            return []
        self._told_sms_key = True
        return [prompts.sms_key_hint(turn.conversation.language)]

    async def _after_silence(self, silences: int) -> bool:
        """A reprompt, then the menu, then goodbye; False when the call is to end."""
        if silences == 1:
            self._player.play([prompts.still_there(self._language)])
            return True
        if silences < SILENCES_BEFORE_GOODBYE:
            return await self._turn(MENU)
        await self._say_last([prompts.silent_goodbye(self._language)])
        self._end(CallEnd.SILENCE)
        return False

    async def _turn(self, text: str, chosen: Language | None = None) -> bool:
        """One turn of the conversation, its replies spoken; False when the call is to end.

        `chosen` is a language the caller has just chosen at the language menu.
        """
        try:
            turn = await self._ask(
                InboundMessage(self._conversation_id, PHONE_CHANNEL, text, language=chosen)
            )
        except Exception:  # not stored (the database away): the caller hears so, not a hang-up
            log.exception(
                "Call %s: a turn failed; the caller is asked to say it again", self._call_sid
            )
            self._player.play([prompts.not_taken(chosen or self._language)])
            return True
        language = turn.conversation.language
        if turn.replies:  # none while an agent has the conversation: they answer by `say`
            self._last_answer = [Line(reply.text, language) for reply in turn.replies]
            down = [prompts.brain_down(language)] if turn.held else []
            hints = [*self._number_key_hint(language), *self._sms_key_hint(turn)]
            self._player.play([*self._last_answer, *down, *hints])
        if language != self._language:  # "in English, please"
            await self._use_language(language)
        self._expects_digits = turn.expects_digits
        if turn.transfer_to and turn.conversation.state == State.WAITING_FOR_AGENT:
            return await self._transfer(turn.transfer_to, language)
        if turn.farewell:
            await self._player.played()
            self._end(CallEnd.GOODBYE)
            return False
        return True

    async def _take_number(self, first: Dtmf) -> bool:
        """The number the caller was asked for, typed key by key: one turn for all of it.

        It ends at `#` or a pause; `*` starts again. Nothing typed (`*`, then `#` or a
        pause) sends nothing: the number is still awaited. A sentence said instead is
        a turn of its own.
        """
        number = keypad.KeyedNumber()
        heard: Heard | None = first
        while isinstance(heard, Dtmf) and not number.press(heard.digit):
            if heard.digit == keypad.AGAIN_KEY:
                self._player.play([prompts.number_again(self._language)])
            heard = await self._next_key()
        self._last_key = ""  # a `*` here started the number again: it asks no slow repeat
        if isinstance(heard, Utterance):
            return await self._take(heard)
        if not number.digits:
            self._expects_digits = True
            return True
        self._waiting = (self.stats.after_key, self._now())
        return await self._turn(number.digits)

    async def _next_key(self) -> Heard | None:
        """The caller's next key (or sentence) while typing a number; None after a pause."""
        try:
            async with asyncio.timeout(keypad.PAUSE_SECONDS):
                while True:
                    event, at = await self._take_from_inbox()
                    if isinstance(event, _Played | Partial | _Unheard):
                        continue
                    await self._barge_in(event, at)
                    if isinstance(event, Dtmf | Utterance):
                        return event
        except TimeoutError:
            return None

    async def _transfer(self, number: str, language: Language) -> bool:
        """Put the call through to `number` once the caller has heard why; False if done.

        Twilio then dials the helpdesk and closes the stream: the dialogue ends quietly.
        If the transfer fails, the caller hears so and is offered a callback instead.
        """
        await self._player.played()
        if await self._transfer_call(self._settings, self._call_sid, number, None, language):
            self._transferred = True
            await asyncio.sleep(STREAM_CLOSE_SECONDS)  # Twilio's `stop` usually ends it first
            self._end(CallEnd.TRANSFERRED)
            return False
        # Out of the queue, with the offer of a callback: nobody waits on a dead line.
        turn = await self._service.transfer_failed(self._conversation_id)
        self._last_answer = [Line(reply.text, language) for reply in turn.replies]
        self._player.play([prompts.transfer_failed(language), *self._last_answer])
        return True

    async def _ask(self, message: InboundMessage) -> Turn:
        """The brain's turn, with "one moment" said if it takes a while.

        The caller speaking or pressing a key meanwhile stops "one moment" at once; what
        they said or pressed is kept for the next turn.
        """
        filler = self._spawn(self._fill_silence())
        answer = asyncio.ensure_future(self._service.handle(message))
        try:
            while not answer.done():
                caller = asyncio.ensure_future(self._inbox.get())
                await asyncio.wait({answer, caller}, return_when=asyncio.FIRST_COMPLETED)
                if caller.done():
                    await self._while_thinking(*caller.result(), filler)
                else:
                    caller.cancel()
            return answer.result()
        finally:
            filler.cancel()
            answer.cancel()

    async def _while_thinking(self, event: Inbound, at: float, filler: asyncio.Task[None]) -> None:
        """The caller did something while the brain was thinking."""
        if isinstance(event, _Played | Partial | _Unheard):
            return  # Loket fell silent, or the caller is still talking: nothing to do yet
        filler.cancel()
        await self._barge_in(event, at)
        if isinstance(event, Dtmf | Utterance):
            self._heard_early.append((event, at))

    async def _fill_silence(self) -> None:
        await asyncio.sleep(self._settings.filler_after_seconds)
        self._player.play([prompts.one_moment(self._language)])

    async def _speak_notices(self) -> None:
        """Speak messages from outside the turns, in order, never over the caller."""
        while True:
            line = await self._notices.get()
            await self._caller_paused()
            self._player.play([line])

    async def _caller_paused(self) -> None:
        """Return once the caller is not in the middle of a sentence."""
        while self._voice_at is not None:
            self._voice_changed.clear()
            try:
                async with asyncio.timeout(self._voice_at + CALLER_PAUSE_SECONDS - self._now()):
                    await self._voice_changed.wait()  # heard again: the pause starts over
            except TimeoutError:
                return  # a pause long enough: a sound that never became a sentence, too

    async def _say_last(self, lines: Sequence[Line]) -> None:
        """Say the last lines of the call and wait until the caller has heard them."""
        self._player.play(lines)
        await self._player.played()

    # ---------------------------------------------------------------- languages

    async def _use_language(self, language: Language) -> None:
        """Go on in `language`: its recogniser only, or the keypad if it has none."""
        self._speak_in(language)
        await self._hear_in(language)

    def _speak_in(self, language: Language) -> None:
        """Speak `language` from now on; with no speech model for it, the brain's texts say
        "press" (KEYS_ONLY: for the turns this task asks for from now on)."""
        self._language = language
        KEYS_ONLY.set(not self._pool.available(language))

    async def _hear_in(self, language: Language) -> None:
        """Listen in `language`, or, with no model for it, for the caller's voice without
        words: speaking, they are told to use the keys."""
        listening = await self._listen_in([language])
        self._voice_without_words = None if listening else VoiceWithoutWords()

    def _tell_keypad_only(self) -> None:
        """The caller spoke in a language Loket cannot hear: say once to use the keys."""
        if self._language in self._told_keypad_only:
            return
        self._told_keypad_only.add(self._language)
        self._player.play([prompts.keypad_only(self._language)])

    async def _listen_in(self, languages: Sequence[Language]) -> bool:
        """Recognise these languages from now on, those that have a model; False if none."""
        recognisers = {}
        for language in languages:
            recogniser = self._listener.recognisers.get(language) or await self._recogniser(
                language
            )
            if recogniser is not None:
                recognisers[language] = recogniser
        await self._listener.listen_with(recognisers)
        return bool(recognisers)

    async def _recogniser(self, language: Language) -> Recogniser | None:
        # Shielded: one the pool has to make takes a while in a thread; if the call ends
        # meanwhile, `_clean_up` still gets it, to give it back.
        taking = asyncio.ensure_future(self._pool.take(language))
        self._taking.add(taking)
        recogniser = await asyncio.shield(taking)
        self._taking.discard(taking)
        return recogniser

    def _release(self, recogniser: Recogniser) -> None:
        """The call is done with a recogniser: count what it did, and give it back."""
        self.stats.count_recognition([recogniser])
        self._pool.give_back(recogniser)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()


def _chosen_language(heard: Heard) -> Language | None:
    """The language picked at the language menu: a key, or a language named."""
    if isinstance(heard, Dtmf):
        return LANGUAGE_KEYS.get(heard.digit)
    return prompts.chosen_language(heard.text)
