"""One handler for every Telegram update, from the webhook or from polling.

A private chat is a person: their chat id is the conversation's contact, and a message
continues their conversation unless it has been quiet for LOKET_MESSAGING_QUIET_MINUTES.
Text goes to the core as it is; commands (/start, /help, /language, /human) and pressed
buttons as what they mean; voice notes as the words heard in them, shown to the person
first. The core's replies go back as messages with inline keyboards.

Updates are handled once: a repeat of an update_id (Telegram redelivers when a webhook
was not answered in time) waits for the first and sends nothing more, and the core's
idempotency key (`tg-<update_id>`) keeps it from being a second turn even after a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from telegram import Bot, CallbackQuery, Message, Update, User, Voice
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError

from bot.channels.telegram import voice_notes
from bot.channels.telegram.texts import say
from bot.channels.telegram.wire import (
    button_reference,
    command,
    keyboard,
    language_hint,
    split_text,
)
from bot.conversations.inbound import InboundMessage
from bot.conversations.model import Status
from bot.conversations.records import ConversationRecord, MessageRecord
from bot.conversations.service import REQUEST_HUMAN, ConversationService
from bot.languages import LanguageSource, choose, is_language
from bot.settings import Language, Settings
from voice.recognition import SpeechModels
from voice.recordings import Listeners, RecordingError

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# What a command means to the core; any other command (/help too) gets the help text.
COMMANDS = {"start": "/greet", "language": "/switch_language", "human": REQUEST_HUMAN}
REMEMBERED_UPDATES = 4096  # update ids kept to recognise a redelivery
LISTENERS = 2  # voice notes transcribed at once (CPU-bound; the machine has few cores)
_LANGUAGE_CHOICE = re.compile(r"^/switch_language(\{.*\})$")


async def send_message(bot: Bot, chat_id: int, message: MessageRecord) -> None:
    """A message of the core on Telegram: in pieces if long, its buttons under the last one."""
    pieces = split_text(message.text)
    for number, piece in enumerate(pieces, start=1):
        markup = keyboard(message.buttons, message.id) if number == len(pieces) else None
        await bot.send_message(chat_id, piece, reply_markup=markup)


class TelegramSender:
    """Sends the messages that are not an answer to a turn (an agent's reply, a late answer).

    The core's `Sender` for Telegram: the conversation's contact is the person's chat id.
    """

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, conversation: ConversationRecord, message: MessageRecord) -> bool:
        """Send `message` to the person's chat; False when Telegram refuses it."""
        if conversation.contact is None:
            return False
        try:
            await send_message(self._bot, int(conversation.contact), message)
        except Forbidden:
            log.info("Message %d not delivered: %s blocked the bot", message.id, conversation.id)
            return False
        return True


@dataclass(frozen=True)
class _Person:
    """Who an update is from: their chat, their conversation, and the update's key."""

    contact: str
    conversation_id: str
    hint: Language | None
    idempotency_key: str

    @property
    def chat_id(self) -> int:
        return int(self.contact)


class TelegramChannel:
    """Turns Telegram updates into turns of the core, and the turns' replies into messages."""

    def __init__(
        self, bot: Bot, service: ConversationService, settings: Settings, models: SpeechModels
    ) -> None:
        self.bot = bot
        self._service = service
        self._models = models
        self._quiet = timedelta(minutes=settings.messaging_quiet_minutes)
        self._max_text_chars = settings.max_text_chars
        self._default_language = settings.default_language
        self._listening = asyncio.Semaphore(LISTENERS)
        self._listeners = Listeners()
        self._updates: OrderedDict[int, asyncio.Future[None]] = OrderedDict()

    async def process(self, update: Update) -> None:
        """Handle one update, once: a repeat waits for the first and does nothing more.

        Raises what handling raised; the update is then forgotten, so a redelivery of
        it is tried again.
        """
        first = self._updates.get(update.update_id)
        if first is not None:
            await asyncio.shield(first)
            return
        # Shielded: a webhook request that goes away does not stop the handling.
        handling = asyncio.ensure_future(self._handle(update))
        handling.add_done_callback(partial(self._handled, update.update_id))
        self._updates[update.update_id] = handling
        while len(self._updates) > REMEMBERED_UPDATES:
            self._updates.popitem(last=False)
        await asyncio.shield(handling)

    def _handled(self, update_id: int, handling: asyncio.Future[None]) -> None:
        """A failed update is forgotten, so that Telegram's redelivery of it is tried again."""
        if not handling.cancelled() and handling.exception() is not None:
            self._updates.pop(update_id, None)

    async def process_batch(self, updates: list[Update]) -> None:
        """Updates fetched together (polling): each chat's in order, the chats side by side.

        An update that fails is logged and skipped: the others are not held up by it.
        """
        by_chat: dict[int | None, list[Update]] = {}
        for update in updates:
            chat = update.effective_chat
            by_chat.setdefault(chat.id if chat else None, []).append(update)
        await asyncio.gather(*(self._in_order(chat_updates) for chat_updates in by_chat.values()))

    async def _in_order(self, updates: list[Update]) -> None:
        for update in updates:
            try:
                await self.process(update)
            except Exception:
                log.exception("Telegram update %d could not be handled", update.update_id)

    async def _handle(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._on_button(update.update_id, update.callback_query)
        elif update.message is not None and update.message.chat.type == ChatType.PRIVATE:
            await self._on_message(update.update_id, update.message)
        # Anything else (edits, group chats, the bot added somewhere) is not a person asking.

    async def _person(self, chat_id: int, user: User | None, update_id: int) -> _Person:
        contact = str(chat_id)
        conversation_id = await self._service.conversation_at(CHANNEL, contact, self._quiet)
        hint = language_hint(user.language_code if user else None)
        return _Person(contact, conversation_id, hint, f"tg-{update_id}")

    # ---------------------------------------------------------------- what people send

    async def _on_message(self, update_id: int, message: Message) -> None:
        person = await self._person(message.chat.id, message.from_user, update_id)
        if message.text is not None:
            await self._on_text(person, message.text)
        elif message.voice is not None:
            await self._on_voice(person, message.voice)
        else:  # a photo, a sticker, a file, a location...
            await self._say(person, "cannot_read")

    async def _on_text(self, person: _Person, text: str) -> None:
        name = command(text, self.bot.username)
        if name is not None:
            meaning = COMMANDS.get(name)
            await (self._turn(person, meaning) if meaning else self._say(person, "help"))
        elif len(text) > self._max_text_chars:
            await self._say(person, "text_too_long")
        else:
            await self._turn(person, text)

    async def _on_button(self, update_id: int, query: CallbackQuery) -> None:
        """A pressed inline button: its payload is the person's answer, as on the web chat."""
        chat_id = query.message.chat.id if query.message else query.from_user.id
        person = await self._person(chat_id, query.from_user, update_id)
        payload = await self._payload(person, query.data or "")
        if payload is None:  # a button of a message this conversation does not hold
            await query.answer(say("button_gone", await self._language(person)))
            return
        await query.answer()  # stops the button's spinner; the answer follows as a message
        await self._turn(person, payload, language=_chosen_language(payload))

    async def _on_voice(self, person: _Person, voice: Voice) -> None:
        """A voice note: heard here, the words shown to the person, then answered."""
        language = await self._language(person)
        declared = voice.to_dict()  # as Telegram sent it: seconds and bytes
        if (
            declared.get("duration", 0) > voice_notes.MAX_SECONDS
            or declared.get("file_size", 0) > voice_notes.MAX_BYTES
        ):
            await self._say(person, "voice_too_long", minutes=voice_notes.MAX_SECONDS // 60)
            return
        if not self._models.available(language):
            await self._say(person, "cannot_listen")
            return
        data = bytes(await (await voice.get_file()).download_as_bytearray())
        try:
            async with self._listening:
                words = await asyncio.to_thread(
                    voice_notes.transcribe, self._models, self._listeners, language, data
                )
        except voice_notes.NoModel:
            await self._say(person, "cannot_listen")
            return
        except RecordingError as error:
            log.info("Voice note in %s not heard: %s", person.conversation_id, error)
            words = ""
        if not words:
            await self._say(person, "no_words")
            return
        await self._say(person, "understood", text=words)
        await self._turn(person, words)

    # ---------------------------------------------------------------- what Loket sends

    async def _turn(self, person: _Person, text: str, language: Language | None = None) -> None:
        """One turn of the core, its replies sent to the person's chat."""
        turn = await self._service.handle(
            InboundMessage(
                person.conversation_id,
                CHANNEL,
                text,
                language=language,
                language_hint=person.hint,
                idempotency_key=person.idempotency_key,
            )
        )
        failed = []
        for reply in turn.replies:
            try:
                await send_message(self.bot, person.chat_id, reply)
            except TelegramError as error:
                log.warning(
                    "Reply %d to %s not delivered: %s", reply.id, person.conversation_id, error
                )
                failed.append(reply.id)
        # The core stored the turn's replies as sent: the console must see which were not.
        await self._service.store.set_status(failed, Status.FAILED)

    async def _say(self, person: _Person, name: str, **fields: object) -> None:
        """One of Telegram's own texts, stored in the conversation and sent through the core."""
        language = await self._language(person)
        text = say(name, language, **fields)
        await self._service.send_to(CHANNEL, person.contact, text, language, self._quiet)

    async def _language(self, person: _Person) -> Language:
        """The language to speak to the person in: the conversation's, or Telegram's hint."""
        conversation = await self._service.conversation(person.conversation_id)
        current, source = (
            (conversation.language, LanguageSource(conversation.language_source))
            if conversation
            else (None, LanguageSource.DEFAULT)
        )
        language, _ = choose(current, source, person.hint, LanguageSource.HINT)
        return language or self._default_language

    async def _payload(self, person: _Person, data: str) -> str | None:
        """What a pressed button means: its data, or the payload its reference points at."""
        reference = button_reference(data)
        if reference is None:
            return data or None
        after = reference.message_id - 1
        messages = await self._service.messages(person.conversation_id, after=after)
        found = next((m for m in messages if m.id == reference.message_id), None)
        if found is None or reference.index >= len(found.buttons):
            return None
        button = found.buttons[reference.index]
        return button.get("payload") or button.get("title")


def _chosen_language(payload: str) -> Language | None:
    """The language a language button chose (`/switch_language{"language": "nl"}`), if any."""
    found = _LANGUAGE_CHOICE.match(payload)
    if found is None:
        return None
    try:
        language = json.loads(found.group(1)).get("language")
    except (ValueError, AttributeError):
        return None
    return language if is_language(language) else None
