"""The conversation service: stores each turn, asks the brain, never leaves a person unanswered."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast
from weakref import WeakValueDictionary

from bot.brain import BrainAnswer, BrainClient, BrainUnavailable
from bot.conversations.inbound import PHONE_CHANNEL, SPOKEN_CHANNELS, InboundMessage
from bot.conversations.model import Conversation, Message, State, Status
from bot.conversations.store import ConversationStore, NewReply
from bot.languages import LanguageSource, choose, detection, is_language
from bot.settings import Language, Settings
from bot.texts import holding_reply, late_answer_intro, no_answer

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_MENU_NUMBER = re.compile(r"^\s*([1-9])\s*$")


@dataclass(frozen=True)
class Turn:
    """The outcome of one message: the conversation as it is now, and what was said back.

    `held`: the brain was slow or down and the replies are the hub's holding reply.
    `farewell`: the brain said goodbye (a phone call hangs up after it).
    """

    conversation: Conversation
    replies: list[Message]
    held: bool = False
    farewell: bool = False


class ConversationService:
    """Handles every person's message the same way, whatever the channel.

    The message is committed before the brain is asked. If the brain does not answer
    within `brain_timeout`, the person gets a holding reply at once; the brain's answer
    is stored when it comes, and a message the brain never got is replayed, in order,
    once the brain is back.
    """

    def __init__(
        self,
        store: ConversationStore,
        brain: BrainClient,
        settings: Settings,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._brain = brain
        self._settings = settings
        self._clock = clock
        # One lock per conversation keeps its messages in order; unused locks are dropped.
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()
        self._tasks: set[asyncio.Task[Turn]] = set()
        # Conversations with a message kept for replay: only they pay for the look-up.
        self._pending: set[str] = set()

    async def start(self) -> None:
        """Remember which conversations have messages kept from before a restart."""
        self._pending = {m.conversation_id for m in await self._store.pending()}

    async def handle(self, inbound: InboundMessage) -> Turn:
        """Store the message, answer it, and return the turn."""
        conversation, message = await self._receive(inbound)
        if conversation.state != State.BOT:
            return Turn(conversation, [])  # a person is in charge: the bot stays silent
        task = asyncio.create_task(self._answer_in_order(conversation, message))
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        try:
            return await asyncio.wait_for(asyncio.shield(task), self._settings.brain_timeout)
        except Exception:  # slow, down or broken: the person still gets an answer (_finished logs)
            return Turn(conversation, await self._hold(conversation), held=True)

    async def conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None if nobody started it."""
        return await self._store.get(conversation_id)

    async def messages(self, conversation_id: str, after: int = 0) -> list[Message]:
        """The transcript, oldest first, from the message after `after`."""
        return await self._store.messages(conversation_id, after=after)

    async def start_call(self, conversation_id: str, contact: str | None) -> Language | None:
        """Start the conversation of a phone call (once, however often it is called).

        Returns the language the caller chose on an earlier call, if they did: the call
        starts in it. `contact` is the caller's number, None when it is withheld.
        """
        return await self._store.open_conversation(
            conversation_id, PHONE_CHANNEL, contact, self._clock()
        )

    async def end_call(self, conversation_id: str) -> bool:
        """Record that a call has ended; False when there is no such call still open."""
        return await self._store.end(conversation_id, self._clock())

    async def replay_pending(self) -> int:
        """Answer messages kept while the brain was down, oldest first; return how many."""
        done = 0
        for conversation_id in dict.fromkeys(
            m.conversation_id for m in await self._store.pending()
        ):
            self._pending.add(conversation_id)
            try:
                async with self._lock(conversation_id):
                    done += await self._replay(conversation_id)
            except BrainUnavailable:
                break
        return done

    async def close(self) -> None:
        """Wait for answers still on their way, so none is lost at shut-down."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self._settings.brain_timeout)

    def _lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        return lock

    async def _receive(self, inbound: InboundMessage) -> tuple[Conversation, Message]:
        # Payloads ("/step_next") are not words: they tell no language.
        detected, detected_source = (
            (None, LanguageSource.GUESSED)
            if inbound.text.startswith("/")
            else detection(inbound.text)
        )

        def decide(current: tuple[str | None, str] | None) -> tuple[str, LanguageSource]:
            language, source = (
                (cast(Language | None, current[0]), LanguageSource(current[1]))
                if current
                else (None, LanguageSource.DEFAULT)
            )
            language, source = choose(language, source, inbound.language, LanguageSource.EXPLICIT)
            language, source = choose(language, source, inbound.language_hint, LanguageSource.HINT)
            language, source = choose(language, source, detected, detected_source)
            return (language, source) if language else (self._settings.default_language, source)

        return await self._store.receive(
            inbound.conversation_id, inbound.channel, inbound.text, decide, self._clock()
        )

    async def _answer_in_order(self, conversation: Conversation, message: Message) -> Turn:
        async with self._lock(conversation.id):
            try:
                if conversation.id in self._pending:
                    await self._replay(conversation.id, before=message.id)
                return await self._answer(conversation, message)
            except BrainUnavailable:
                await self._store.set_status(message.id, Status.PENDING)
                self._pending.add(conversation.id)
                raise

    async def _replay(self, conversation_id: str, before: int | None = None) -> int:
        pending = await self._store.pending(conversation_id, before=before)
        if pending:
            conversation = await self._current(conversation_id)
            for message in pending:
                conversation = (await self._answer(conversation, message, late=True)).conversation
        self._pending.discard(conversation_id)
        return len(pending)

    async def _answer(
        self, conversation: Conversation, message: Message, late: bool = False
    ) -> Turn:
        text = await self._resolve_menu_number(conversation.id, message.text)
        answer = await self._brain.send(conversation.id, text, self._metadata(conversation))
        conversation = await self._apply_signals(conversation, answer)
        language = cast(Language, conversation.language)
        spoken = conversation.channel in SPOKEN_CHANNELS
        replies = answer.replies or [NewReply(no_answer(language, spoken))]
        if late:
            replies = [NewReply(late_answer_intro(language, message.text)), *replies]
        stored = await self._store.add_replies(
            conversation.id, replies, language, self._clock(), answered=message.id
        )
        return Turn(conversation, stored, farewell=answer.signals.get("farewell") == "said")

    async def _hold(self, conversation: Conversation) -> list[Message]:
        language = cast(Language, conversation.language)
        spoken = conversation.channel in SPOKEN_CHANNELS
        text = holding_reply(language, self._settings.helpdesk_phone, spoken)
        return await self._store.add_replies(
            conversation.id, [NewReply(text)], language, self._clock()
        )

    async def _resolve_menu_number(self, conversation_id: str, text: str) -> str:
        """ "2" by SMS or keypad means the second button of the last message."""
        match = _MENU_NUMBER.match(text)
        if match is None:
            return text
        buttons = await self._store.last_buttons(conversation_id)
        index = int(match.group(1)) - 1
        return buttons[index]["payload"] if index < len(buttons) else text

    async def _apply_signals(self, conversation: Conversation, answer: BrainAnswer) -> Conversation:
        changes: dict[str, object] = {}
        language = answer.signals.get("language")
        # An asked-for language is explicit even when detection had already guessed it.
        if is_language(language) and (language, conversation.language_source) != (
            conversation.language,
            LanguageSource.EXPLICIT,
        ):
            changes |= {"language": language, "language_source": LanguageSource.EXPLICIT}
        if answer.signals.get("handoff") == "requested":
            changes["handoff_requested_at"] = self._clock()
        if not changes:
            return conversation
        await self._store.update_conversation(conversation.id, **changes)
        return await self._current(conversation.id)

    async def _current(self, conversation_id: str) -> Conversation:
        conversation = await self._store.get(conversation_id)
        if conversation is None:  # pragma: no cover - conversations are never deleted here
            raise LookupError(conversation_id)
        return conversation

    @staticmethod
    def _metadata(conversation: Conversation) -> dict[str, object]:
        return {
            "language": conversation.language,
            "channel": conversation.channel,
            "spoken": conversation.channel in SPOKEN_CHANNELS,
        }

    def _finished(self, task: asyncio.Task[Turn]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if isinstance(error, BrainUnavailable):
            log.warning("Brain unavailable; message kept for replay: %s", error)
        elif error is not None:
            log.error("Answering a message failed", exc_info=error)
