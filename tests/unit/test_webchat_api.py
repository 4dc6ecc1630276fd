"""The web chat API as a client sees it, with a stand-in brain."""

from __future__ import annotations

import jsonschema
import pytest

from tests.fakes import FakeBrain

URL = "/api/conversations/{}/messages"


async def post(hub, conversation_id: str, body: object):
    return await hub.post(URL.format(conversation_id), json=body)


async def test_a_message_is_answered_and_kept_in_the_transcript(hub, brain: FakeBrain):
    response = await post(hub, "abc-123", {"text": "Bonjour, j'ai perdu ma carte d'identité"})
    assert response.status == 200
    answer = await response.json()
    assert answer["conversation_id"] == "abc-123"
    assert answer["state"] == "bot"
    assert answer["language"] == "fr"
    assert answer["replies"][0]["text"].startswith("echo[fr]: Bonjour")
    assert answer["replies"][0]["buttons"][0] == {"title": "Next", "payload": "/step_next"}

    transcript = await (await hub.get("/api/conversations/abc-123")).json()
    authors = [m["author"] for m in transcript["messages"]]
    assert authors == ["person", "bot"]
    assert transcript["messages"][0]["text"] == "Bonjour, j'ai perdu ma carte d'identité"


async def test_after_returns_only_newer_messages(hub, brain: FakeBrain):
    first = await (await post(hub, "c1", {"text": "hello there, I need help"})).json()
    await post(hub, "c1", {"text": "second message please"})
    newer = await (
        await hub.get(f"/api/conversations/c1?after={first['replies'][-1]['id']}")
    ).json()
    assert newer["messages"][0]["text"] == "second message please"
    assert len(newer["messages"]) == 2


async def test_the_brain_gets_language_channel_and_message_id_as_metadata(hub, brain: FakeBrain):
    await post(hub, "c2", {"text": "Ik ben mijn identiteitskaart kwijt", "language": None})
    [person] = (await (await hub.get("/api/conversations/c2")).json())["messages"][:1]
    assert brain.received[0]["metadata"] | {"keypad_only": False} == {
        "language": "nl",
        "channel": "webchat",
        "spoken": False,
        "keypad_only": False,
        "loket_message_id": str(person["id"]),
    }
    assert brain.received[0]["sender"] == "c2"


async def test_an_explicit_language_beats_detection(hub, brain: FakeBrain):
    answer = await (
        await post(hub, "c3", {"text": "I lost my identity card yesterday", "language": "fr"})
    ).json()
    assert answer["language"] == "fr"
    # Later messages without a choice keep the explicit language, whatever they look like.
    answer = await (await post(hub, "c3", {"text": "what should I do now then"})).json()
    assert answer["language"] == "fr"


async def test_detection_follows_the_person_until_they_choose(hub, brain: FakeBrain):
    assert (await (await post(hub, "c4", {"text": "I lost my identity card"})).json())[
        "language"
    ] == "en"
    answer = await (await post(hub, "c4", {"text": "ik ben verhuisd naar Schaarbeek"})).json()
    assert answer["language"] == "nl"


async def test_a_short_first_message_uses_the_default_language(hub, brain: FakeBrain):
    assert (await (await post(hub, "c5", {"text": "ok"})).json())["language"] == "fr"


async def test_a_language_switch_asked_from_the_brain_is_applied(hub, brain: FakeBrain):
    def switch(text, metadata):
        return [{"custom": {"loket": {"language": "en"}}}, {"text": "OK, in English."}]

    brain.reply = switch
    answer = await (await post(hub, "c6", {"text": "in het Engels alstublieft"})).json()
    assert answer["language"] == "en"
    assert [r["text"] for r in answer["replies"]] == ["OK, in English."]


async def test_an_asked_for_language_sticks_even_if_detection_had_guessed_it(hub, brain):
    def switch(text, metadata):
        return [{"custom": {"loket": {"language": "nl"}}}, {"text": "Goed."}]

    brain.reply = switch
    await post(hub, "c6b", {"text": "in het Nederlands alstublieft"})  # detected nl too
    brain.reply = lambda text, metadata: [{"text": "ok"}]
    answer = await (await post(hub, "c6b", {"text": "my card is blocked, what now"})).json()
    assert answer["language"] == "nl"


async def test_a_menu_number_means_the_matching_button(hub, brain: FakeBrain):
    await post(hub, "c7", {"text": "bonjour je voudrais de l'aide"})
    await post(hub, "c7", {"text": "2"})
    assert brain.texts[-1] == "/ask_capabilities"
    transcript = await (await hub.get("/api/conversations/c7")).json()
    assert transcript["messages"][2]["text"] == "2"  # stored as the person typed it


async def test_a_request_for_a_person_is_recorded(hub, brain: FakeBrain):
    from bot.appkeys import service_key

    brain.reply = lambda text, md: [
        {"custom": {"loket": {"handoff": "requested"}}},
        {"text": "Noted."},
    ]
    await post(hub, "c8", {"text": "je veux parler à quelqu'un"})
    conversation = await hub.server.app[service_key].conversation("c8")
    assert conversation.handoff_requested_at is not None


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("ok-id", b"{not json", 400, "malformed_json"),
        ("ok-id", b'["a list"]', 400, "malformed_json"),
        ("ok-id", b'{"text": "' + b"a" * 2001 + b'"}', 413, "text_too_long"),
        ("bad id!", b'{"text": "hi"}', 422, "invalid_conversation_id"),
        ("x" * 65, b'{"text": "hi"}', 422, "invalid_conversation_id"),
        ("ok-id", b'{"text": "hi", "language": "de"}', 422, "invalid_language"),
        ("ok-id", b'{"text": 42}', 422, "invalid_text"),
        ("ok-id", b'{"text": "   "}', 422, "invalid_text"),
        ("ok-id", b"{}", 422, "invalid_text"),
    ],
)
async def test_bad_input_gets_a_clear_json_error_and_stores_nothing(
    hub, brain: FakeBrain, path, body, status, code
):
    response = await hub.post(
        f"/api/conversations/{path}/messages",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status == status
    error = (await response.json())["error"]
    assert error["code"] == code
    assert len(error["message"]) > 10
    assert brain.received == []
    if path == "ok-id":
        assert (await hub.get("/api/conversations/ok-id")).status == 404


async def test_an_oversize_body_is_refused_with_json(hub, brain: FakeBrain):
    response = await hub.post(URL.format("big"), data=b"x" * 200_000)
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "too_large"


async def test_an_unknown_conversation_is_404(hub):
    response = await hub.get("/api/conversations/nobody")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_too_many_messages_get_429_with_retry_after(settings, brain: FakeBrain):
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import create_app

    limited = settings.model_copy(update={"rate_limit_per_minute": 3})
    async with TestClient(TestServer(create_app(limited))) as hub:
        statuses = [(await post(hub, "flood", {"text": "hello"})).status for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        last = await post(hub, "flood", {"text": "hello"})
        assert int(last.headers["Retry-After"]) >= 1


async def test_answers_match_the_published_openapi_document(hub, brain: FakeBrain):
    spec = await (await hub.get("/api/openapi.json")).json()
    schemas = spec["components"]["schemas"]

    def validate(instance, name):
        jsonschema.validate(instance, {"$ref": f"#/components/schemas/{name}", **spec})

    answer = await (await post(hub, "spec", {"text": "hello, I moved house"})).json()
    validate(answer, "Answer")
    validate(await (await hub.get("/api/conversations/spec")).json(), "Conversation")
    assert schemas["NewMessage"]["properties"]["text"]["maxLength"] == 2000


async def test_the_chat_page_is_served_with_a_strict_content_policy(hub):
    response = await hub.get("/chat")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<html" in (await response.text()).lower()
