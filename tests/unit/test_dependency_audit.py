"""Tests of tools/audit.py: the real pip-audit against a local stand-in for OSV.

api.osv.dev cannot be reached from here, so a local aiohttp server answers OSV's query
API (POST /v1/query, OSV's JSON schema) from a small table of advisories; pip-audit
runs as `make audit` runs it, pointed there with `--osv-url`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from packaging.utils import canonicalize_name

from tests.conftest import free_port
from tools import audit

# A real advisory of aiohttp 3.9.1 (GHSA-5h86-8mv2-jq9f, fixed in 3.9.2), as OSV gives it.
FIXED_ADVISORY = {
    "id": "GHSA-5h86-8mv2-jq9f",
    "aliases": ["CVE-2024-23334"],
    "summary": "aiohttp is vulnerable to directory traversal",
    "affected": [
        {
            "package": {"name": "aiohttp", "ecosystem": "PyPI"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.0.5"}, {"fixed": "3.9.2"}]}
            ],
        }
    ],
}
UNFIXED_ADVISORY = {
    "id": "PYSEC-2099-1",
    "summary": "a flaw no release fixes yet",
    "affected": [
        {
            "package": {"name": "six", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
        }
    ],
}


class StandInOsv:
    """OSV's query API, answering from a table of (package, version) -> advisories."""

    def __init__(self) -> None:
        self.advisories: dict[tuple[str, str], list[dict]] = {}
        self.queried: list[tuple[str, str]] = []
        self.answers_before_failing: int | None = None  # None: never fails
        app = web.Application()
        app.router.add_post("/v1/query", self.query)
        self.server = TestServer(app)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/v1/query"))

    async def query(self, request: web.Request) -> web.Response:
        asked = await request.json()
        if (
            self.answers_before_failing is not None
            and len(self.queried) >= self.answers_before_failing
        ):
            raise web.HTTPServiceUnavailable()
        key = (asked["package"]["name"], asked["version"])
        self.queried.append(key)
        vulns = self.advisories.get(key)
        return web.json_response({"vulns": vulns} if vulns else {})


@pytest.fixture
async def osv() -> AsyncIterator[StandInOsv]:
    osv = StandInOsv()
    await osv.server.start_server()
    yield osv
    await osv.server.close()


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    lock = tmp_path / "app.lock"
    lock.write_text("aiohttp==3.9.1\nsix==1.16.0\n")
    return lock


async def run_audit(*args: str) -> int:
    """`python -m tools.audit ARGS`, while the stand-in keeps serving on this loop."""
    return await asyncio.to_thread(audit.main, list(args))


async def test_a_pinned_package_with_a_fixed_vulnerability_fails_the_audit(osv, lock, capsys):
    osv.advisories[("aiohttp", "3.9.1")] = [FIXED_ADVISORY]

    assert await run_audit(str(lock), "--osv-url", osv.url) == 1

    said = capsys.readouterr().out
    assert "2 packages checked, known vulnerabilities: 1" in said
    assert (
        "FIX AVAILABLE: aiohttp 3.9.1: CVE-2024-23334, GHSA-5h86-8mv2-jq9f (fixed in 3.9.2)" in said
    )
    assert "Audit FAILED" in said


async def test_a_vulnerability_with_no_fix_yet_is_listed_without_failing(osv, lock, capsys):
    osv.advisories[("six", "1.16.0")] = [UNFIXED_ADVISORY]

    assert await run_audit(str(lock), "--osv-url", osv.url) == 0

    said = capsys.readouterr().out
    assert "no fix yet: six 1.16.0: PYSEC-2099-1 (no fix released yet)" in said
    assert "Audit passed" in said


async def test_a_vulnerability_accepted_after_review_is_listed_with_why(
    osv, lock, tmp_path, capsys
):
    osv.advisories[("aiohttp", "3.9.1")] = [FIXED_ADVISORY]
    accepted = tmp_path / "accepted.txt"
    accepted.write_text("# reviewed\nCVE-2024-23334 Loket serves no static files with aiohttp\n")

    assert await run_audit(str(lock), "--osv-url", osv.url, "--accepted", str(accepted)) == 0

    said = capsys.readouterr().out
    assert "accepted (Loket serves no static files with aiohttp): aiohttp 3.9.1" in said
    assert "Audit passed" in said


async def test_every_pin_of_both_lock_files_is_checked(osv, capsys):
    assert await run_audit("--osv-url", osv.url) == 0

    pinned = {
        (canonicalize_name(name), version)
        for lock in audit.LOCK_FILES
        for name, version in (line.split("==") for line in lock.read_text().split())
    }
    # The first query is the audit's own check that the database answers.
    assert osv.queried[0] == ("pip", "0")
    asked = {(canonicalize_name(name), version) for name, version in osv.queried[1:]}
    assert asked == pinned
    said = capsys.readouterr().out
    assert "requirements/hub.lock: " in said and "requirements/brain.lock: " in said


async def test_an_unreachable_database_is_said_never_passed_quietly(lock, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1/query"  # nothing listens there

    assert await run_audit(str(lock), "--osv-url", url) == 2
    assert "Dependency audit NOT RUN" in capsys.readouterr().err

    assert await run_audit(str(lock), "--osv-url", url, "--skip-if-unreachable") == 0
    said = capsys.readouterr()
    assert "Dependency audit NOT RUN" in said.err
    assert "Audit passed" not in said.out


@pytest.mark.parametrize("answers_before_failing", [0, 1], ids=["at-once", "during-the-audit"])
async def test_a_database_that_fails_is_an_error_not_a_pass(
    osv, lock, capsys, answers_before_failing
):
    osv.answers_before_failing = answers_before_failing

    assert await run_audit(str(lock), "--osv-url", osv.url, "--skip-if-unreachable") == 2

    said = capsys.readouterr()
    assert "Dependency audit could not run" in said.err
    assert "Audit passed" not in said.out
