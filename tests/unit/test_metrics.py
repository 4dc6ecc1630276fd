"""GET /metrics: a real scrape, parsed, whose figures move after a chat turn."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.app import create_app
from bot.appkeys import service_key
from bot.conversations.model import ProblemReport
from bot.conversations.reports import ProblemReports
from bot.metrics import channel_of
from bot.settings import Settings
from tests.fakes import FakeBrain


async def scrape(hub: TestClient, **headers: str) -> dict[tuple[str, tuple], float]:
    """Every sample of the scrape, keyed by name and sorted labels."""
    response = await hub.get("/metrics", headers=headers)
    assert response.status == 200
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_a_chat_turn_moves_the_request_and_brain_figures(hub, brain: FakeBrain):
    before = await scrape(hub)
    response = await hub.post("/api/conversations/m-1/messages", json={"text": "bonjour"})
    assert response.status == 200
    after = await scrape(hub)

    ok = ("loket_http_requests_total", (("channel", "webchat"), ("status", "2xx")))
    assert after[ok] == before.get(ok, 0) + 1
    answered = ("loket_brain_seconds_count", (("outcome", "answered"),))
    assert after[answered] == before.get(answered, 0) + 1
    # Aggregates only: the conversation id appears in no label of any sample.
    assert not any("m-1" in str(labels) for _, labels in after)


async def test_with_a_token_set_the_token_is_needed(settings: Settings, brain: FakeBrain):
    guarded = settings.model_copy(update={"metrics_token": SecretStr("s3cret")})
    async with TestClient(TestServer(create_app(guarded))) as hub:
        assert (await hub.get("/metrics")).status == 403
        wrong = await hub.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 403
        await scrape(hub, Authorization="Bearer s3cret")  # asserts 200


def test_made_up_paths_do_not_make_new_channels():
    assert channel_of("/twilio/voice") == "phone"
    assert channel_of("/twilio/messages/status") == "sms"
    assert channel_of("/console/queue") == "console"
    assert channel_of("/anything/9a8b7c") == "other"


async def test_the_queue_and_agents_are_read_at_each_scrape(hub, brain: FakeBrain):
    samples = await scrape(hub)
    assert samples[("loket_queue_length", ())] == 0
    assert samples[("loket_queue_oldest_wait_seconds", ())] == 0
    assert samples[("loket_agents_available", ())] == 0
    assert samples[("loket_problem_reports", (("status", "new"),))] == 0


async def test_a_problem_report_filed_shows_at_the_next_scrape(hub, brain: FakeBrain):
    service = hub.server.app[service_key]
    await ProblemReports(service.store).file(
        ProblemReport(
            reference="K7P-4QX",
            channel="webchat",
            language="fr",
            service="irisbox",
            category="login",
            contact="none",
        )
    )
    samples = await scrape(hub)
    assert samples[("loket_problem_reports", (("status", "new"),))] == 1
    assert samples[("loket_problem_reports", (("status", "closed"),))] == 0
