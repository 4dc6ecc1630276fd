"""The operators' dashboard: figures from a database filled through the store, role checks,
small groups hidden, the period filter, and the exports (CSV, Rasa NLU YAML).

Figures are checked on SQLite and, where a server answers, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.dashboard import unknown
from bot.dashboard.figures import fold_small
from bot.settings import Settings
from tests.console import OPEN, Clock, add_agent, person_waits, service_of, sign_in
from tests.dashboard import fill
from tests.databases import fresh_postgres_database

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield settings.database
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def hub(settings: Settings, database: str) -> AsyncIterator[TestClient]:
    app = create_app(settings.model_copy(update={"database_url": database}), clock=Clock())
    async with TestClient(TestServer(app)) as client:
        yield client


async def operator(hub: TestClient, role: str = "operator") -> None:
    await add_agent(hub, "olga", role=role)
    assert (await sign_in(hub, "olga")).status == 303


async def test_the_figures_are_aggregates_of_the_period(hub):
    await fill(service_of(hub).store)
    await operator(hub)
    response = await hub.get("/agent/dashboard")
    assert response.status == 200
    html = await response.text()
    total = 7 + 5 + 1 + 6 + 1  # "old" is before the last 7 days
    assert f'<dd id="total">{total}</dd>' in html
    assert f'<dd id="contained">{total - 2}</dd>' in html
    assert '<dd id="callbacks">2 / 1</dd>' in html
    assert '<dd id="keypad">5 / 6</dd>' in html
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1]
    assert '<tr><th scope="row">housing</th><td>7</td></tr>' in html
    assert f'<tr><th scope="row">2026-12-03</th><td>{total}</td></tr>' in html
    assert '<tr><th scope="row">webchat</th><td>14</td></tr>' in html


async def test_small_groups_are_folded_and_rare_sentences_hidden(hub):
    await fill(service_of(hub).store)
    await operator(hub)
    html = await (await hub.get("/agent/dashboard")).text()
    assert "asked_for_person" not in html  # 2 handoffs: fewer than 5 people
    assert "permis de conduire" in html
    assert "0470" not in html and "appelez moi" not in html


def test_fold_small_keeps_other_only_when_big_enough():
    assert fold_small([("a", 9), ("b", 2), ("c", 2)]) == [("a", 9)]
    assert fold_small([("a", 9), ("b", 3), (None, 3)]) == [("a", 9), ("other", 6)]


async def test_the_period_filter_counts_only_its_days(hub):
    await fill(service_of(hub).store)
    await operator(hub)
    day = (OPEN - 30 * DAY).date().isoformat()
    html = await (await hub.get(f"/agent/dashboard?from={day}&to={day}")).text()
    assert '<dd id="total">1</dd>' in html
    assert (await hub.get("/agent/dashboard?from=2026-12-09&to=2026-12-01")).status == 400
    assert (await hub.get("/agent/dashboard?from=yesterday")).status == 400


@pytest.mark.parametrize("role, status", [("agent", 403), ("supervisor", 200)])
async def test_agents_are_refused_supervisors_see_it(hub, role, status):
    await operator(hub, role)
    response = await hub.get("/agent/dashboard")
    assert response.status == status
    link = 'href="/agent/dashboard"' in await (await hub.get("/agent/")).text()
    assert link is (status == 200)


async def test_the_hub_sends_dashboard_to_the_console(hub):
    response = await hub.get("/dashboard", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/agent/dashboard"
    signed_out = await hub.get("/agent/dashboard", allow_redirects=False)
    assert signed_out.status == 303


async def test_exports_are_redacted_csv_and_rasa_nlu_yaml(hub):
    await fill(service_of(hub).store)
    await operator(hub)
    data = yaml.safe_load(await (await hub.get("/agent/dashboard/unknown.yml")).text())
    assert data["version"] == "3.1"
    [intent] = data["nlu"]
    assert intent["intent"] == "unknown_1"
    examples = [line[2:] for line in intent["examples"].splitlines()]
    assert len(examples) == 6 and all(e.startswith("mon permis") for e in examples)
    exported = await (await hub.get("/agent/dashboard/unknown.csv")).text()
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["group", "size", "text"] and len(rows) == 7
    group = await (await hub.get("/agent/dashboard/unknown/1")).text()
    assert group.count("mon permis de conduire perdu") == 6
    assert (await hub.get("/agent/dashboard/unknown/2")).status == 404


def test_grouping_is_by_shared_words_without_accents():
    groups = unknown.group(["Où est mon vélo ?", "ou est mon velo", "carte d'identité"])
    assert [len(g.texts) for g in groups] == [2, 1]
    assert unknown.shown(groups, 2) == [groups[0]]


async def test_a_person_asked_for_with_the_button_is_a_handoff(hub, brain):
    await person_waits(hub, "asks", first="bonjour")  # then the "Talk to a person" button
    await operator(hub)
    html = await (await hub.get("/agent/dashboard")).text()
    assert '<dd id="total">1</dd>' in html and '<dd id="contained">0</dd>' in html
