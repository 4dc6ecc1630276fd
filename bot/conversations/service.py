"""The conversation service: stores each turn, decides who answers, never leaves a person alone.

Every person's message is committed before anything else. Then, by the conversation's
state (bot/conversations/states.py):

- `with_agent`: the message is for the agent; the bot stays silent.
- a topic that always goes to a person (distress, violence): answered at once with the
  emergency numbers, and put first in the agents' queue;
- a callback booking in progress (callbacks.py): the hub leads it, not the brain;
- otherwise the brain answers (also while waiting for an agent: the agent sees it all).
  When the brain signals that the person wants a person, the hand-over starts: in office
  hours with an agent free, the queue (or, on the phone, a transfer to the helpdesk);
  otherwise the offer of a callback or a message.

If the brain does not answer within `brain_timeout`, the person gets a holding reply at
once; the late answer is delivered through the outbound path when it comes (within
`brain_request_timeout`). A message the brain did not answer is kept and replayed, in
order, once the brain is back; as the brain may have processed it all the same, its
tracker is asked first, and an answer found there is taken instead of sending it again.
What each guarantee rests on: docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from bot.brain import BrainAnswer, BrainClient, BrainUnavailable
from bot.conversations import problem_reports, sms_steps
from bot.conversations.callbacks import CLOSED, FLOW, STOP_WAITING, CallbackBooking
from bot.conversations.desk import AgentDesk
from bot.conversations.events import QUEUE_TOPIC, Event, EventBus, conversation_topic
from bot.conversations.flows import FlowStep
from bot.conversations.inbound import (
    KEYS_ONLY,
    PHONE_CHANNEL,
    SMS_CHANNEL,
    SPOKEN_CHANNELS,
    InboundMessage,
)
from bot.conversations.locks import ConversationLocks, ReplicaLockUnavailable
from bot.conversations.model import Author, State, Status
from bot.conversations.office_hours import OfficeHours
from bot.conversations.outbound import Outbound
from bot.conversations.records import ConversationRecord, MessageRecord
from bot.conversations.states import Move
from bot.conversations.store import ConversationStore, NewReply, Received, StateMove
from bot.conversations.urgent import UrgentMatch, UrgentTopics, load_urgent
from bot.handoff_texts import say
from bot.languages import LanguageSource, choose, detection, is_language, other_language
from bot.other_languages import language_buttons, other_languages
from bot.settings import ROOT, Language, Settings
from bot.texts import holding_reply, late_answer_intro, no_answer

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_MENU_NUMBER = re.compile(r"^\s*([1-9])\s*$")
REQUEST_HUMAN = "/request_human"
URGENT_PRIORITY = 2
URGENT_FILE = ROOT / "content" / "urgent.yml"
# Conversations replayed at once after an outage: the brain is not flooded as it comes back.
REPLAY_CONCURRENCY = 8
# A message still being answered after this many brain requests' time is taken for one
# whose turn broke off without a word (the database went away mid-turn) or whose hub
# stopped: kept and replayed (by another hub, with several).
ORPHAN_TURNS = 6


@dataclass(frozen=True)
class Turn:
    """The outcome of one message: the conversation as it is now, and what was said back.

    `held`: the brain was slow or down and the replies are the hub's holding reply.
    `farewell`: the brain said goodbye (a phone call hangs up after it).
    `expects_digits`: the reply asks for a phone number (the phone collects keys up to #).
    `transfer_to`: a call is to be put through to this number (the helpdesk, in hours).
    """

    conversation: ConversationRecord
    replies: list[MessageRecord]
    held: bool = False
    farewell: bool = False
    expects_digits: bool = False
    transfer_to: str | None = None


class ConversationService:
    """Handles every person's message the same way, whatever the channel."""

    def __init__(
        self,
        store: ConversationStore,
        brain: BrainClient,
        settings: Settings,
        clock: Clock = lambda: datetime.now(UTC),
        urgent: UrgentTopics | None = None,
        locks: ConversationLocks | None = None,
    ) -> None:
        self.store = store
        self.events = EventBus()
        self.outbound = Outbound()
        self.office_hours = OfficeHours(settings.office_hours, settings.closed_days)
        self._brain = brain
        self._settings = settings
        self._clock = clock
        self._urgent = urgent or load_urgent(URGENT_FILE)
        self._booking = CallbackBooking(self.office_hours)
        self.sms_steps = sms_steps.SmsSteps()  # the SMS channel connects itself to it
        # One lock per conversation keeps its messages in order (across hubs with Redis).
        self._locks = locks or ConversationLocks()
        self._tasks: set[asyncio.Task[Turn]] = set()
        self._deliveries: set[asyncio.Future[None]] = set()  # late answers on their way out
        # The turn of each message being handled, by message id: a repeat of it (same
        # idempotency key) waits for the same turn instead of making a second one.
        self._turns: dict[int, asyncio.Future[Turn]] = {}
        self.desk = AgentDesk(self)

    def now(self) -> datetime:
        """The service's clock (pinned in tests)."""
        return self._clock()

    async def start(self) -> None:
        """Keep for replay the messages the last run left unanswered (it stopped or broke):
        all of them for a lone hub; with several hubs, the orphans (the others' turns go on)."""
        if self._locks.shared:
            await self._keep_orphans()
        else:
            await self.store.keep_unanswered()

    async def _keep_orphans(self) -> None:
        """Keep for replay the messages no turn is answering any more: those received long
        enough ago that their turn must have broken off, or their hub stopped."""
        orphan_age = timedelta(seconds=ORPHAN_TURNS * self._settings.brain_request_timeout)
        await self.store.keep_unanswered(received_before=self._clock() - orphan_age)

    async def handle(self, inbound: InboundMessage) -> Turn:
        """Store the message, answer it (or pass it to the agent), and return the turn.

        A repeat of a message (the same idempotency key) gets the first one's turn again.
        """
        received = await self._receive(inbound)
        if received.repeated:
            return await self._repeat(received)
        return await self._start_turn(received.conversation, received.message)

    async def _start_turn(self, conversation: ConversationRecord, message: MessageRecord) -> Turn:
        """Answer a stored message in a turn that a repeat of it can wait for."""
        turn = asyncio.ensure_future(self._turn(conversation, message))
        self._turns[message.id] = turn
        turn.add_done_callback(lambda _: self._turns.pop(message.id, None))
        # Shielded: a client that goes away does not stop the turn (its repeat gets it).
        return await asyncio.shield(turn)

    async def _repeat(self, received: Received) -> Turn:
        """The turn of a message sent again: the first one's, when it ends if still going.

        A first one whose turn broke off unanswered (the database went away; its client was
        told to send it again) is answered now, as a kept message: the brain's tracker is
        read first, so a message the brain has taken is not taken twice.
        """
        first = self._turns.get(received.message.id)
        if first is not None:
            return await asyncio.shield(first)
        if received.message.status in (Status.RECEIVED, Status.FAILED):
            await self.store.set_status([received.message.id], Status.PENDING)
            kept = replace(received.message, status=Status.PENDING)
            return await self._start_turn(received.conversation, kept)
        replies = await self.store.replies_to(received.message)
        return Turn(await self._current(received.conversation.id), replies)

    async def _turn(self, conversation: ConversationRecord, message: MessageRecord) -> Turn:
        """Answer a stored message: the agent's, the hub's own turn, or the brain's."""
        self.publish_messages(conversation.id, [message])
        if conversation.state == State.WITH_AGENT:
            return Turn(conversation, [])  # a person is in charge: the bot stays silent
        text = message.meaning
        urgent = None if text.startswith("/") else self._urgent.match(text)
        # Off the event loop: lingua takes tens of milliseconds on a long text.
        foreign = None if urgent else await asyncio.to_thread(_other_language, conversation, text)
        if foreign:
            async with self._locks.hold(conversation.id):
                return await self._other_language_turn(conversation, message, foreign)
        if urgent or conversation.flow or text in (REQUEST_HUMAN, STOP_WAITING):
            async with self._locks.hold(conversation.id):
                turn = await self._hub_turn(conversation, message, urgent)
            if turn is not None:
                return turn
            conversation = await self._current(conversation.id)  # the offer was passed by
        task = asyncio.create_task(self._answer_in_order(conversation, message))
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        try:
            return await asyncio.wait_for(asyncio.shield(task), self._settings.brain_timeout)
        except Exception:  # slow, down or broken: the person still gets an answer (_finished logs)
            task.add_done_callback(self._deliver_late)
            return Turn(conversation, await self._hold(conversation), held=True)

    async def conversation(self, conversation_id: str) -> ConversationRecord | None:
        """The conversation, or None if nobody started it."""
        return await self.store.get(conversation_id)

    async def messages(self, conversation_id: str, after: int = 0) -> list[MessageRecord]:
        """The transcript the person sees, oldest first, from the message after `after`."""
        return await self.store.messages(conversation_id, after=after)

    async def start_call(self, conversation_id: str, contact: str | None) -> Language | None:
        """Start the conversation of a phone call (once, however often it is called).

        Returns the language the caller chose on an earlier call, if they did: the call
        starts in it. `contact` is the caller's number, None when it is withheld.
        """
        return await self.store.open_conversation(
            conversation_id, PHONE_CHANNEL, contact, self._clock()
        )

    async def conversation_at(self, channel: str, contact: str, quiet: timedelta) -> str:
        """The conversation a message from `contact` on a messaging channel belongs to.

        Messaging channels (SMS, WhatsApp, Telegram) have no session of their own: a message
        continues the person's conversation unless it has been quiet for `quiet` (or was
        closed); otherwise a new conversation starts, in the language they last chose.
        """
        async with self._locks.hold(f"{channel}:{contact}"):  # two first messages: one conversation
            now = self._clock()
            found = await self.store.latest_open(channel, contact, now - quiet)
            if found is not None:
                return found
            conversation_id = f"{channel}-{secrets.token_hex(16)}"
            await self.store.open_conversation(conversation_id, channel, contact, now)
            return conversation_id

    async def send_to(
        self, channel: str, contact: str, text: str, language: Language, quiet: timedelta
    ) -> MessageRecord:
        """Write to a person on a messaging channel they have not written from (the steps of
        a procedure sent by SMS): in their conversation there, through the outbound path.

        The conversation takes `language` only if it has no explicit choice of its own.
        """
        conversation_id = await self.conversation_at(channel, contact, quiet)
        current = await self._current(conversation_id)
        changes = (
            {} if current.language_source == LanguageSource.EXPLICIT else {"language": language}
        )
        conversation, stored = await self.store.answer(
            conversation_id, [NewReply(text)], self._clock(), status=Status.QUEUED, changes=changes
        )
        await self._announce(conversation, stored)
        return stored[0]

    async def end_call(self, conversation_id: str) -> bool:
        """Record that a call has ended; False when there is no such call still open."""
        ended = await self.store.end(conversation_id, self._clock())
        if ended is not None:
            self.publish_state(ended)
        return ended is not None

    async def replay_pending(self) -> int:
        """Answer the messages kept for replay, each conversation's in order; return how many.

        One task per conversation, each bounded: a stuck one never holds up the others.
        Messages whose turn broke off (or whose hub stopped) are kept first.
        """
        await self._keep_orphans()
        slots = asyncio.Semaphore(REPLAY_CONCURRENCY)
        kept = Counter(m.conversation_id for m in await self.store.pending())
        done = await asyncio.gather(*(self._replay(c, n, slots) for c, n in kept.items()))
        return sum(done)

    async def _replay(self, conversation_id: str, kept: int, slots: asyncio.Semaphore) -> int:
        """Answer one conversation's `kept` messages; 0 if the brain still cannot (kept)."""
        # Each kept message costs at most a look-up in the tracker and a request; one more
        # request's time for the turn that may hold the conversation's lock.
        bound = (2 * kept + 1) * max(
            self._settings.brain_request_timeout, self._settings.brain_timeout
        )
        try:
            async with slots, asyncio.timeout(bound), self._locks.hold(conversation_id):
                conversation = await self._current(conversation_id)
                messages = await self.store.pending(conversation_id)
                for message in messages:
                    turn = await self._answer(conversation, message, late=True)
                    conversation = turn.conversation
                return len(messages)
        except (BrainUnavailable, ReplicaLockUnavailable, TimeoutError) as error:
            log.warning("Replay postponed; messages kept: %s", error)
        except Exception:
            log.exception("Replaying kept messages failed; they are kept")
        return 0

    async def sweep(self) -> None:
        """Periodic care: conversations of silent agents go back to the queue; people still
        waiting when the helpdesk closes are told when it opens and offered a callback."""
        now = self._clock()
        idle_since = now - timedelta(seconds=self._settings.agent_idle_seconds)
        for conversation in await self.store.idle_with_agents(idle_since):
            await self.move_and_say(
                conversation.id, StateMove(Move.RELEASE, "system", "agent silent"), "released"
            )
        if self.office_hours.is_open(now):
            return
        for conversation in await self.store.waiting():
            # Told once, at closing time, when the helpdesk opens again, with the offer.
            if (
                not conversation.flow
                and not _transferred(conversation)
                and (conversation.flow_data.get("offered") != CLOSED)
            ):
                async with self._locks.hold(conversation.id):
                    await self._offer_callback(conversation)

    async def transfer_failed(self, conversation_id: str) -> Turn:
        """A call could not be put through: out of the queue, and a callback offered instead."""
        async with self._locks.hold(conversation_id):
            conversation = await self._current(conversation_id)
            step = self._offer_step(conversation, queued=False)
            move = (
                StateMove(Move.CANCEL, "system", "transfer failed")
                if conversation.state == State.WAITING_FOR_AGENT
                else None
            )
            changes = {"flow": FLOW, "flow_data": step.flow_data}
            conversation, stored = await self.store.answer(
                conversation_id, step.replies, self._clock(), changes=changes, move=move
            )
            self._after_turn(conversation, stored, moved=move is not None)
            return Turn(conversation, stored)

    async def close(self) -> None:
        """Wait for answers still on their way, so none is lost at shut-down."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self._settings.brain_timeout)

    # ---------------------------------------------------------------- publishing, delivery

    def publish_messages(self, conversation_id: str, messages: list[MessageRecord]) -> None:
        """Tell the consoles about new messages, and the person's page about those it shows.

        Consoles listen to the queue topic (every conversation); an agent's internal note
        goes there only, never to the person's own topic.
        """
        for message in messages:
            event = Event(
                "message", conversation_id, message.public() | {"internal": message.internal}
            )
            self.events.publish(QUEUE_TOPIC, event)
            if not message.internal:
                self.events.publish(conversation_topic(conversation_id), event)

    def publish_state(self, conversation: ConversationRecord) -> None:
        """Tell the person's page and the consoles that who answers has changed."""
        event = Event("state", conversation.id, {"state": conversation.state})
        self.events.publish(conversation_topic(conversation.id), event)
        self.events.publish(
            QUEUE_TOPIC, Event("queue", conversation.id, {"state": conversation.state})
        )

    def report_filed(self, conversation_id: str, service: str, category: str) -> None:
        """Tell the consoles (and whoever counts them) that a problem report was filed."""
        kind = {"service": service, "category": category}
        self.events.publish(QUEUE_TOPIC, Event("problem_report", conversation_id, kind))

    async def deliver(
        self, conversation: ConversationRecord, messages: list[MessageRecord]
    ) -> None:
        """Hand messages stored as `queued` to the person's channel; record how it went."""
        sent, failed = [], []
        for message in messages:
            (sent if await self.outbound.deliver(conversation, message) else failed).append(
                message.id
            )
        await self.store.set_status(sent, Status.SENT)
        await self.store.set_status(failed, Status.FAILED)
        if failed:
            log.warning("%d message(s) to %s could not be delivered", len(failed), conversation.id)

    async def move_and_say(
        self,
        conversation_id: str,
        move: StateMove,
        text_name: str | None,
        changes: dict[str, Any] | None = None,
    ) -> ConversationRecord:
        """Move the state machine and tell the person, outside a turn: through the outbound path."""
        current = await self.store.get(conversation_id)
        if current is None:
            raise LookupError(conversation_id)
        replies = (
            [NewReply(say(text_name, current.language, _spoken(current)), author=Author.SYSTEM)]
            if text_name
            else []
        )
        conversation, stored = await self.store.answer(
            conversation_id,
            replies,
            self._clock(),
            status=Status.QUEUED,
            changes=changes,
            move=move,
        )
        await self._announce(conversation, stored)
        return conversation

    async def agents_free(self, now: datetime) -> bool:
        """True when at least one agent is available and was seen lately."""
        return await self.agents_available(now) > 0

    async def agents_available(self, now: datetime) -> int:
        """How many agents are available and were seen lately."""
        seen_after = now - timedelta(seconds=self._settings.agent_idle_seconds)
        return await self.store.agents_available(seen_after)

    async def _announce(
        self, conversation: ConversationRecord, stored: list[MessageRecord]
    ) -> None:
        self.publish_state(conversation)
        self.publish_messages(conversation.id, stored)
        await self.deliver(conversation, stored)

    # ---------------------------------------------------------------- turns the hub answers

    async def _hub_turn(
        self, conversation: ConversationRecord, message: MessageRecord, urgent: UrgentMatch | None
    ) -> Turn | None:
        """A turn the hub answers itself; None when the message is for the brain after all."""
        if urgent is not None:
            return await self._start_handoff(
                conversation, message, f"urgent:{urgent.topic}", urgent
            )
        text = message.meaning
        if text == STOP_WAITING and conversation.state == State.WAITING_FOR_AGENT:
            move = StateMove(Move.CANCEL, "person", "stopped waiting")
            reply = say("wait_cancelled", conversation.language)
            changes = {"flow": None, "flow_data": {}}
            return await self._reply(conversation, message, [reply], move=move, changes=changes)
        if conversation.flow and text != REQUEST_HUMAN:
            return await self._flow_turn(conversation, message, text)
        return await self._start_handoff(conversation, message, "asked")

    async def _other_language_turn(
        self, conversation: ConversationRecord, message: MessageRecord, code: str
    ) -> Turn:
        """A message in a language Loket does not speak: its fixed message, and the choices."""
        language = other_languages()[code]
        buttons = [*language_buttons(), {"title": language.person, "payload": REQUEST_HUMAN}]
        return await self._reply(conversation, message, [NewReply(language.message, buttons)])

    async def _flow_turn(
        self, conversation: ConversationRecord, message: MessageRecord, text: str
    ) -> Turn | None:
        if conversation.flow == sms_steps.FLOW:
            return await self._sms_steps_turn(conversation, message, text)
        if conversation.flow == problem_reports.FLOW:
            return await self._report_turn(conversation, message, text)
        step = self._booking.advance(conversation, text, self._clock(), _spoken(conversation))
        # Once the dialogue is over, only the memory of the offer stays (not made twice).
        offered = (
            {"offered": conversation.flow_data["offered"]}
            if "offered" in (conversation.flow_data)
            else {}
        )
        changes = {"flow": FLOW if step.flow_data else None, "flow_data": step.flow_data or offered}
        if step.passed:  # not an answer to the offer: it stands, the brain answers
            await self.store.update_conversation(conversation.id, **changes)
            return None
        move = None
        if conversation.state == State.WAITING_FOR_AGENT and (step.booked or step.left):
            move = (
                StateMove(Move.CALLBACK, "person", "booked a callback")
                if step.booked
                else StateMove(Move.CANCEL, "person", "declined a callback")
            )
        conversation, stored = await self.store.answer(
            conversation.id, step.replies, self._clock(), answered=message.id,
            changes=changes, move=move, callback=step.callback,
        )  # fmt: skip
        self._after_turn(conversation, stored, moved=move is not None)
        if step.callback is not None:
            self.events.publish(QUEUE_TOPIC, Event("callback", conversation.id))
        return Turn(conversation, stored, expects_digits=step.expects_digits)

    async def _sms_steps_turn(
        self, conversation: ConversationRecord, message: MessageRecord, text: str
    ) -> Turn | None:
        """The person's answer while the steps are about to be sent by SMS (sms_steps.py)."""
        spoken = _spoken(conversation)
        step = self.sms_steps.advance(conversation, text, spoken)
        if isinstance(step, sms_steps.Send):
            delivered = await self._send_steps(conversation, step)
            reply = sms_steps.sent_reply(conversation.language, step.number, delivered, spoken)
            step = FlowStep([NewReply(reply)], None)
        changes = {"flow": sms_steps.FLOW if step.flow_data else None,
                   "flow_data": step.flow_data or {}}  # fmt: skip
        if step.passed:  # the person moved on: the brain answers
            await self.store.update_conversation(conversation.id, **changes)
            return None
        turn = await self._reply(conversation, message, step.replies, changes=changes)
        return replace(turn, expects_digits=step.expects_digits)

    async def _report_turn(
        self, conversation: ConversationRecord, message: MessageRecord, text: str
    ) -> Turn | None:
        """The person's answer while reporting a problem (problem_reports.py); the report
        is stored in the same unit of work as the reply, so a retried message files one."""
        step = problem_reports.advance(conversation, text, self._clock(), _spoken(conversation))
        report = step.report if isinstance(step, problem_reports.Filed) else None
        step = step.step if isinstance(step, problem_reports.Filed) else step
        changes = {"flow": problem_reports.FLOW if step.flow_data else None,
                   "flow_data": step.flow_data or {}}  # fmt: skip
        if step.passed:  # the person moved on: the brain answers
            await self.store.update_conversation(conversation.id, **changes)
            return None
        conversation, stored = await self.store.answer(
            conversation.id, step.replies, self._clock(), answered=message.id,
            changes=changes, report=report,
        )  # fmt: skip
        self._after_turn(conversation, stored, moved=False)
        if report is not None:
            self.report_filed(conversation.id, report.service, report.category)
        return Turn(conversation, stored, expects_digits=step.expects_digits)

    def can_send_steps_by_sms(self) -> bool:
        """Whether the SMS channel is set up to send the steps of a procedure."""
        return self.sms_steps.count_segments is not None and self.outbound.has_sender(SMS_CHANNEL)

    async def _send_steps(self, conversation: ConversationRecord, send: sms_steps.Send) -> bool:
        """Send the SMS into the person's SMS conversation; True once the channel took it."""
        if not self.can_send_steps_by_sms():
            return False
        quiet = timedelta(minutes=self._settings.messaging_quiet_minutes)
        sent = await self.send_to(SMS_CHANNEL, send.number, send.text, conversation.language, quiet)
        after = await self.store.messages(sent.conversation_id, after=sent.id - 1)
        delivered = any(m.id == sent.id and m.status == Status.SENT for m in after)
        outcome = "sent" if delivered else "failed"
        log.info("Steps by SMS in %d segment(s): %s", send.segments, outcome)
        return delivered

    async def _start_handoff(
        self,
        conversation: ConversationRecord,
        message: MessageRecord,
        reason: str,
        urgent: UrgentMatch | None = None,
        changes: dict[str, Any] | None = None,
    ) -> Turn:
        """The person wants (or needs) a person.

        Outside office hours: the offer of a callback. In hours: the queue, with the offer
        too when no agent is free; on the phone, a transfer to the helpdesk's number.
        """
        now, lang, spoken = self._clock(), conversation.language, _spoken(conversation)
        replies = [NewReply(urgent.answer(lang, spoken))] if urgent else []
        changes = (changes or {}) | ({"priority": URGENT_PRIORITY} if urgent else {})
        if conversation.handoff_requested_at is None:  # a button, a key, urgency: counted too
            changes.setdefault("handoff_requested_at", now)
        waiting = conversation.state == State.WAITING_FOR_AGENT
        if waiting and not urgent:
            position = await self.store.queue_position(conversation)
            replies.append(NewReply(say("still_waiting", lang, position=position)))
            return await self._reply(conversation, message, replies, changes=changes)
        if not self.office_hours.is_open(now):
            step = self._offer_step(conversation, queued=False)
            changes |= {"flow": FLOW, "flow_data": step.flow_data}
            return await self._reply(conversation, message, replies + step.replies, changes=changes)
        move = StateMove(Move.URGENT if urgent else Move.ASK, "person", reason)
        changes |= {} if waiting else {"handoff_reason": reason}
        if spoken and self._settings.helpdesk_phone:
            changes["flow_data"] = {"transferred": True}
            replies.append(NewReply(say("transfer", lang)))
            return await self._reply(
                conversation, message, replies, changes=changes, move=move,
                transfer_to=self._settings.helpdesk_phone,
            )  # fmt: skip
        replies += await self._queue_replies(conversation, changes, urgent is not None)
        if not await self.agents_free(now):
            step = self._offer_step(conversation, queued=True)
            changes |= {"flow": FLOW, "flow_data": step.flow_data}
            replies += step.replies
        return await self._reply(conversation, message, replies, changes=changes, move=move)

    async def _queue_replies(
        self, conversation: ConversationRecord, changes: dict[str, Any], urgent: bool
    ) -> list[NewReply]:
        """Where the person will be in the queue, and a rough wait (told before queueing)."""
        lang = conversation.language
        queued = replace(
            conversation,
            waiting_since=conversation.waiting_since or self._clock(),
            priority=changes.get("priority", conversation.priority),
        )
        position = await self.store.queue_position(queued)
        minutes = max(1, round(position * self._settings.queue_wait_minutes_per_person))
        if urgent:
            return [NewReply(say("urgent_queued", lang))]
        button = {"title": say("button_stop_waiting", lang), "payload": STOP_WAITING}
        return [NewReply(say("queued", lang, position=position, minutes=minutes), [button])]

    def _offer_step(self, conversation: ConversationRecord, queued: bool) -> FlowStep:
        """The offer of a callback or a message, for the clock's reason (closed, or busy)."""
        now = self._clock()
        return self._booking.offer(
            conversation, now, _spoken(conversation), not self.office_hours.is_open(now), queued
        )

    async def _offer_callback(self, conversation: ConversationRecord) -> None:
        """Someone waits as the helpdesk closes: the offer, through the outbound path."""
        step = self._offer_step(conversation, queued=True)
        changes = {"flow": FLOW, "flow_data": step.flow_data}
        conversation, stored = await self.store.answer(
            conversation.id, step.replies, self._clock(), status=Status.QUEUED, changes=changes
        )
        self.publish_messages(conversation.id, stored)
        await self.deliver(conversation, stored)

    async def _reply(
        self,
        conversation: ConversationRecord,
        message: MessageRecord,
        texts: list[str] | list[NewReply],
        *,
        changes: dict[str, Any] | None = None,
        move: StateMove | None = None,
        transfer_to: str | None = None,
    ) -> Turn:
        """Store the hub's own answer to `message` in one unit of work, and announce it."""
        replies = [t if isinstance(t, NewReply) else NewReply(t) for t in texts]
        conversation, stored = await self.store.answer(
            conversation.id, replies, self._clock(), answered=message.id, changes=changes, move=move
        )
        self._after_turn(conversation, stored, moved=move is not None)
        return Turn(conversation, stored, transfer_to=transfer_to)

    def _after_turn(
        self, conversation: ConversationRecord, stored: list[MessageRecord], moved: bool
    ) -> None:
        if moved:
            self.publish_state(conversation)
        self.publish_messages(conversation.id, stored)

    # ---------------------------------------------------------------- turns the brain answers

    async def _receive(self, inbound: InboundMessage) -> Received:
        # Payloads ("/step_next") are not words: they tell no language.
        detected, detected_source = (
            (None, LanguageSource.GUESSED)
            if inbound.text.startswith("/")
            else await asyncio.to_thread(detection, inbound.text)  # CPU work: off the loop
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

        menu_number = _MENU_NUMBER.match(inbound.text)
        return await self.store.receive(
            inbound.conversation_id, inbound.channel, inbound.text, decide, self._clock(),
            menu_choice=int(menu_number.group(1)) if menu_number else None,
            idempotency_key=inbound.idempotency_key,
        )  # fmt: skip

    async def _answer_in_order(
        self, conversation: ConversationRecord, message: MessageRecord
    ) -> Turn:
        """Answer `message` after every earlier one of its conversation still unanswered.

        Under the conversation's lock, oldest first: two messages at once are answered in
        the order they were stored, whichever got the lock first (on whichever hub). A
        message an earlier turn has answered meanwhile gets the replies stored for it.
        """
        try:
            async with self._locks.hold(conversation.id):
                return await self._answer_unanswered(conversation, message)
        except ReplicaLockUnavailable:  # Redis is away: kept, like a message the brain missed
            await self.store.set_status([message.id], Status.PENDING)
            raise

    async def _answer_unanswered(
        self, conversation: ConversationRecord, message: MessageRecord
    ) -> Turn:
        """`_answer_in_order` once the conversation's lock is held."""
        try:
            unanswered = await self.store.unanswered(conversation.id, up_to=message.id)
            if message.id not in {m.id for m in unanswered}:
                replies = await self.store.replies_to(message)
                return Turn(await self._current(conversation.id), replies)
            for earlier in unanswered:
                # Kept ones are late (their person had a holding reply); others are
                # being handled at this moment by a turn that will find them answered.
                late = earlier.id != message.id and earlier.status == Status.PENDING
                turn = await self._answer(conversation, earlier, late=late)
                conversation = turn.conversation
            return turn
        except BrainUnavailable:
            await self.store.set_status([message.id], Status.PENDING)
            raise
        except Exception:  # kept too, and tried again after a restart (store.keep_unanswered)
            await self.store.set_status([message.id], Status.FAILED)
            raise

    async def _answer(
        self, conversation: ConversationRecord, message: MessageRecord, late: bool = False
    ) -> Turn:
        answer = await self._ask_brain(conversation, message)
        changes = self._changes(conversation, answer)
        if answer.signals.get("handoff") == "requested":
            if late:  # the person is not in this exchange any more: tell them first
                await self._deliver_note(
                    conversation, late_answer_intro(conversation.language, message.text)
                )
            return await self._start_handoff(conversation, message, "asked", changes=changes)
        flow, hub_step = self._hub_flow_start(conversation, message, answer)
        if hub_step is not None:  # the hub leads: where to send the steps, or the problem report
            changes |= {"flow": flow if hub_step.flow_data else None,
                        "flow_data": hub_step.flow_data or {}}  # fmt: skip
        language = cast(Language, changes.get("language", conversation.language))
        replies = [
            *(NewReply(reply.text, reply.buttons) for reply in answer.replies),
            *(hub_step.replies if hub_step else []),
        ] or [NewReply(no_answer(language, _spoken(conversation)))]
        if late:
            replies = [NewReply(late_answer_intro(language, message.text)), *replies]
        conversation, stored = await self.store.answer(
            conversation.id, replies, self._clock(),
            status=Status.QUEUED if late else Status.SENT,
            answered=message.id, understood=answer.signals.get("understood") != "no",
            changes=changes,
        )  # fmt: skip
        self.publish_messages(conversation.id, stored)
        if late:
            await self.deliver(conversation, stored)
        return Turn(
            conversation, stored, farewell=answer.signals.get("farewell") == "said",
            expects_digits=hub_step is not None and hub_step.expects_digits,
        )  # fmt: skip

    def _hub_flow_start(
        self, conversation: ConversationRecord, message: MessageRecord, answer: BrainAnswer
    ) -> tuple[str | None, FlowStep | None]:
        """The first step of a dialogue the brain hands to the hub, and its name: sending
        the steps by SMS (the brain wrote them), or reporting a problem."""
        spoken = _spoken(conversation)
        if sms_steps.SIGNAL in answer.signals:
            signal = answer.signals[sms_steps.SIGNAL]
            return sms_steps.FLOW, self.sms_steps.start(conversation, signal, spoken)
        if problem_reports.SIGNAL in answer.signals:
            return problem_reports.FLOW, problem_reports.start(conversation, message.text, spoken)
        return None, None

    async def _ask_brain(
        self, conversation: ConversationRecord, message: MessageRecord
    ) -> BrainAnswer:
        """The brain's answer to `message`. A kept message may have been processed (a
        timeout, an error after Rasa took it, a stop before its answer was stored): then
        the answer is taken from the brain's tracker, so the procedure never moves twice."""
        message_id = str(message.id)
        if message.status == Status.PENDING:
            answer = await self._brain.processed(conversation.id, message_id)
            if answer is not None:
                return answer
        return await self._brain.send(
            conversation.id, message_id, message.meaning, self._metadata(conversation)
        )

    async def _deliver_note(self, conversation: ConversationRecord, text: str) -> None:
        _, stored = await self.store.answer(
            conversation.id, [NewReply(text)], self._clock(), status=Status.QUEUED
        )
        self.publish_messages(conversation.id, stored)
        await self.deliver(conversation, stored)

    async def _hold(self, conversation: ConversationRecord) -> list[MessageRecord]:
        text = holding_reply(
            conversation.language, self._settings.helpdesk_phone, _spoken(conversation)
        )
        _, stored = await self.store.answer(conversation.id, [NewReply(text)], self._clock())
        self.publish_messages(conversation.id, stored)
        return stored

    def _changes(self, conversation: ConversationRecord, answer: BrainAnswer) -> dict[str, Any]:
        """What the brain's signals change in the conversation: language, topic and step."""
        changes: dict[str, Any] = {}
        language = answer.signals.get("language")
        # An asked-for language is explicit even when detection had already guessed it.
        if is_language(language) and (language, conversation.language_source) != (
            conversation.language,
            LanguageSource.EXPLICIT,
        ):
            changes |= {"language": language, "language_source": LanguageSource.EXPLICIT}
        if "topic" in answer.signals:
            changes["topic"] = answer.signals["topic"] or None
            step = str(answer.signals.get("step", ""))
            changes["step"] = int(step) if step.isdigit() else None
        if answer.signals.get("handoff") == "requested":
            changes["handoff_requested_at"] = self._clock()
        return changes

    async def _current(self, conversation_id: str) -> ConversationRecord:
        conversation = await self.store.get(conversation_id)
        if conversation is None:  # pragma: no cover - conversations are never deleted here
            raise LookupError(conversation_id)
        return conversation

    @staticmethod
    def _metadata(conversation: ConversationRecord) -> dict[str, object]:
        return {
            "language": conversation.language,
            "channel": conversation.channel,
            "spoken": _spoken(conversation),
            "keypad_only": _spoken(conversation) and KEYS_ONLY.get(),
        }

    def _deliver_late(self, task: asyncio.Task[Turn]) -> None:
        """An answer that comes after the holding reply goes out through the person's channel
        (an SMS cannot take it back in the webhook's response any more)."""
        if task.cancelled() or task.exception() is not None:
            return  # kept for replay, or broken: _finished logs it
        turn = task.result()
        delivery = asyncio.ensure_future(self.deliver(turn.conversation, turn.replies))
        self._deliveries.add(delivery)
        delivery.add_done_callback(self._deliveries.discard)

    def _finished(self, task: asyncio.Task[Turn]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        if isinstance(error, BrainUnavailable | ReplicaLockUnavailable):
            log.warning("Brain or Redis unavailable; message kept for replay: %s", error)
        elif error is not None:
            log.error("Answering a message failed", exc_info=error)


def _other_language(conversation: ConversationRecord, text: str) -> str | None:
    """The language Loket does not speak that a written message is in, if any.

    Payloads and digits say nothing; a call hears only the languages it has models for.
    """
    if text.startswith("/") or _spoken(conversation):
        return None
    return other_language(text)


def _spoken(conversation: ConversationRecord) -> bool:
    return conversation.channel in SPOKEN_CHANNELS


def _transferred(conversation: ConversationRecord) -> bool:
    """A call put through to the helpdesk's phone: a person answers it there."""
    return bool(conversation.flow_data.get("transferred"))
