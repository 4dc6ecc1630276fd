"""The SMS and WhatsApp channel: a person's message in, Loket's answer out.

A message from Twilio becomes a turn of the conversation service, in the person's
conversation on that channel (`conversation_at`: a new one after a quiet time). The
channel answers some messages itself, stored in the transcript like any turn:

- STOP (and its French and Dutch words): recorded; nothing more goes to the address
  until START. Its other messages are kept for the agents but not answered.
- HELP: what Loket is, with the choice of a person.
- a photo or document (WhatsApp): Loket cannot read it, and says so; a person can.
- a location (WhatsApp): the commune it is probably in, or that it is not in Brussels.
- MORE: the next page of a reply too long for one SMS.

Every other message goes to the core. Its answer is sent back in the webhook's response
(TwiML); everything said later (an agent's reply, a late answer, a callback notice)
goes through `send`, the channel's outbound sender, with Twilio's REST API.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from bot.channels.sms.book import MessagingBook
from bot.channels.sms.keywords import Keyword, Said, keyword
from bot.channels.sms.location import commune_near
from bot.channels.sms.render import compose, paged
from bot.channels.sms.texts import say
from bot.channels.twilio_rest import failure_reason, rest_client
from bot.conversations.inbound import WHATSAPP_CHANNEL, WHATSAPP_WINDOW, InboundMessage
from bot.conversations.model import Status
from bot.conversations.records import ConversationRecord, MessageRecord
from bot.conversations.service import REQUEST_HUMAN, ConversationService
from bot.conversations.store import NewReply
from bot.languages import LanguageSource, is_language
from bot.settings import Language, Settings

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 10.0
"""How long Twilio may take to accept a message before it counts as not sent."""
# Twilio's message statuses (https://www.twilio.com/docs/messaging/api/message-resource
# #message-status-values) that say something new; queued, accepted, sending... do not.
REPORTED: dict[str, Status] = {
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.DELIVERED,  # WhatsApp: read, so delivered too
    "undelivered": Status.FAILED,
    "failed": Status.FAILED,
    "canceled": Status.FAILED,
}
# Why a message was not sent, as stored for the console (which says it in words).
OPTED_OUT = "opted_out"
WINDOW_CLOSED = "whatsapp_window"
NO_SENDER = "no_sender"
NO_ADDRESS = "no_address"


@dataclass(frozen=True)
class Incoming:
    """A message from a person, as Twilio posted it (checked by the webhook)."""

    sid: str  # Twilio's MessageSid: a retry carries the same
    address: str  # "+32..." or "whatsapp:+32...": never logged
    channel: str
    body: str
    media_types: tuple[str, ...] = ()
    location: tuple[float, float] | None = None

    @property
    def stored_text(self) -> str:
        """What the transcript shows: the text, and what came instead of or with it.

        A location is not stored: where someone is matters only for this one answer.
        """
        extra = [f"[{kind}]" for kind in self.media_types]
        if self.location is not None:
            extra.append("[location]")
        return " ".join([*extra, self.body]).strip()


class MessagingChannel:
    """SMS and WhatsApp on one Twilio account; also their outbound `Sender`."""

    def __init__(
        self, service: ConversationService, settings: Settings, status_callback_url: str
    ) -> None:
        self._service = service
        self._store = service.store
        self._settings = settings
        self._book = MessagingBook(service.store)
        self._quiet = timedelta(minutes=settings.messaging_quiet_minutes)
        self._status_callback_url = status_callback_url

    # ---------------------------------------------------------------- in: the webhook

    async def answer(self, incoming: Incoming) -> str:
        """Handle a person's message; the text to send back at once ("" for nothing)."""
        conversation_id = await self._service.conversation_at(
            incoming.channel, incoming.address, self._quiet
        )
        own = await self._own_answer(incoming, await self._current(conversation_id))
        if own is not None:
            return own
        if not incoming.body.strip():
            return ""  # nothing to answer (an empty SMS)
        turn = await self._service.handle(
            InboundMessage(
                conversation_id, incoming.channel, incoming.body, idempotency_key=incoming.sid
            )
        )
        return await self._first_page(
            conversation_id, incoming.channel, turn.replies, turn.conversation.language
        )

    async def _own_answer(self, incoming: Incoming, conversation: ConversationRecord) -> str | None:
        """The answer to a message the channel handles itself; None when it is the core's."""
        said = None if incoming.media_types or incoming.location else keyword(incoming.body)
        kind = said.keyword if said else None
        language = _language(conversation, said, self._settings.default_language)
        now = self._service.now()
        if kind == Keyword.STOP:
            await self._book.opt_out(incoming.address, now)
            return await self._own_turn(incoming, conversation, language, say("stopped", language))
        opted_out = await self._book.opted_out(incoming.address)
        if kind == Keyword.START and opted_out:
            await self._book.opt_in(incoming.address, now)
            return await self._own_turn(incoming, conversation, language, say("started", language))
        if kind == Keyword.HELP:
            text = say("help", language)
            return await self._own_turn(incoming, conversation, language, text, offer_person=True)
        if opted_out:  # kept for the agents, never answered until START
            return await self._own_turn(incoming, conversation, language, None)
        if incoming.media_types:
            text = say("media", language)
            return await self._own_turn(incoming, conversation, language, text, offer_person=True)
        if incoming.location is not None:
            text = _where(incoming.location, language)
            return await self._own_turn(incoming, conversation, language, text)
        if kind == Keyword.MORE:
            return await self._next_page(incoming, conversation, language)
        return None

    async def _own_turn(
        self,
        incoming: Incoming,
        conversation: ConversationRecord,
        language: Language,
        text: str | None,
        offer_person: bool = False,
    ) -> str:
        """A turn the channel answers itself, stored like any other (`text` None: no answer).

        A retry of the message (same MessageSid) gets what the first one got.
        """
        buttons = (
            [{"title": say("talk_to_person", language), "payload": REQUEST_HUMAN}]
            if offer_person
            else []
        )
        replies = [NewReply(text, buttons)] if text else []
        now = self._service.now()
        # A keyword's word may tell a language nothing else had: a hint, as a channel gives.
        hinted = language != (conversation.language or self._settings.default_language)
        keep = (
            language,
            (LanguageSource.HINT if hinted else LanguageSource(conversation.language_source)),
        )
        received = await self._store.receive(
            conversation.id, incoming.channel, incoming.stored_text, lambda _: keep, now,
            idempotency_key=incoming.sid,
        )  # fmt: skip
        if received.repeated:
            stored = await self._store.replies_to(received.message)
        else:
            _, stored = await self._store.answer(
                conversation.id, replies, now, answered=received.message.id
            )
            self._service.publish_messages(conversation.id, [received.message, *stored])
        return await self._first_page(conversation.id, incoming.channel, stored, language)

    async def _next_page(
        self, incoming: Incoming, conversation: ConversationRecord, language: Language
    ) -> str | None:
        """The next page of the last long reply; None when there is none to give."""
        kept = await self._book.kept(conversation.id)
        if kept is None or not (kept.rest or kept.asked_by == incoming.sid):
            return None
        await self._own_turn(incoming, conversation, language, None)
        if kept.asked_by == incoming.sid:  # Twilio's retry: the same page again
            return kept.page or ""
        page = paged(kept.rest, incoming.channel, language)
        await self._book.keep(
            conversation.id, page.rest, self._service.now(), asked_by=incoming.sid, page=page.text
        )
        return page.text

    async def _first_page(
        self, conversation_id: str, channel: str, messages: list[MessageRecord], language: Language
    ) -> str:
        """The messages as one text that fits the medium; the rest kept for "more"."""
        page = paged(compose(messages, language), channel, language)
        await self._book.keep(conversation_id, page.rest, self._service.now())
        return page.text

    # ---------------------------------------------------------------- out: the REST API

    async def send(self, conversation: ConversationRecord, message: MessageRecord) -> bool:
        """Send a message outside a turn (the core's `Sender`); False when it cannot go.

        Nothing goes to an address that sent STOP, nor on WhatsApp more than 24 hours after
        the person's last message (only a template could): the reason is stored with the
        message, for the agents.
        """
        refusal = await self._refusal(conversation)
        if refusal is not None:
            log.info("Message %d of %s not sent: %s", message.id, conversation.id, refusal)
            await self._store.not_delivered(message.id, refusal)
            return False
        language = (
            cast(Language, message.language)
            if is_language(message.language)
            else conversation.language
        )
        body = await self._first_page(conversation.id, conversation.channel, [message], language)
        try:
            # The client blocks: in a thread, so that the hub goes on meanwhile.
            provider_id = await asyncio.wait_for(
                asyncio.to_thread(self._create, conversation, body), SEND_TIMEOUT_SECONDS
            )
        except Exception as error:  # refused, down or slow: the agents see why
            reason = failure_reason(error, SEND_TIMEOUT_SECONDS)
            log.warning("Message %d of %s not sent: %s", message.id, conversation.id, reason)
            await self._store.not_delivered(message.id, reason)
            return False
        await self._store.sent_as(message.id, provider_id)
        return True

    async def report(self, provider_id: str, status: str, error_code: str) -> None:
        """Twilio's status callback: the message was sent, delivered, or not."""
        reported = REPORTED.get(status)
        if reported is None:
            return
        reason = (
            f"Twilio: {status} (error {error_code or '-'})" if reported == Status.FAILED else None
        )
        if await self._store.delivery_report(provider_id, reported, reason) is None:
            log.info("Status %s for message %s, which Loket did not send", status, provider_id)

    async def _refusal(self, conversation: ConversationRecord) -> str | None:
        """Why nothing may be sent to the person now, or None."""
        address = conversation.contact
        if not address:
            return NO_ADDRESS
        if await self._book.opted_out(address):
            return OPTED_OUT
        if conversation.channel == WHATSAPP_CHANNEL:
            last = await self._book.last_written(WHATSAPP_CHANNEL, address)
            if last is None or self._service.now() - last > WHATSAPP_WINDOW:
                return WINDOW_CLOSED
        if not (self._sender_of(conversation.channel) and self._settings.twilio_account_sid):
            return NO_SENDER
        return None

    def _sender_of(self, channel: str) -> str:
        """Loket's address on `channel`: a number, a WhatsApp sender or a Messaging Service."""
        return (
            self._settings.whatsapp_from if channel == WHATSAPP_CHANNEL else self._settings.sms_from
        )

    def _create(self, conversation: ConversationRecord, body: str) -> str:
        """Messages.create (blocking); Twilio's id of the new message ("SM...")."""
        sender = self._sender_of(conversation.channel)
        origin = {"messaging_service_sid": sender} if sender.startswith("MG") else {"from_": sender}
        created = rest_client(self._settings, SEND_TIMEOUT_SECONDS).messages.create(
            to=conversation.contact,
            body=body,
            status_callback=self._status_callback_url,
            **origin,
        )
        return str(created.sid)

    async def _current(self, conversation_id: str) -> ConversationRecord:
        conversation = await self._service.conversation(conversation_id)
        if conversation is None:  # pragma: no cover - conversation_at has just made it
            raise LookupError(conversation_id)
        return conversation


def _language(conversation: ConversationRecord, said: Said | None, default: Language) -> Language:
    """The language to answer a keyword in: the conversation's, unless nothing chose it
    yet and the keyword's word tells one (AIDE: French)."""
    unchosen = conversation.language is None or (
        conversation.language_source == LanguageSource.DEFAULT
    )
    if unchosen and said is not None and said.language is not None:
        return said.language
    return conversation.language or default


def _where(location: tuple[float, float], language: Language) -> str:
    """The answer to a shared location: its probable commune, or that it is not Brussels."""
    commune = commune_near(*location, language)
    if commune is None:
        return say("location_outside", language)
    return say("location_commune", language, commune=commune)
