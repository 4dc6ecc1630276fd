"""Logs never carry personal identifiers; limits and language rules behave as documented."""

from __future__ import annotations

import io
import logging

import pytest

from bot.languages import LanguageSource, choose, detect, detection
from bot.ratelimit import RateLimiter
from bot.redact import RedactingFilter, redact
from bot.settings import Settings


@pytest.mark.parametrize(
    ("text", "secret", "placeholder"),
    [
        ("my number is 85.07.30-033.61 ok", "85.07.30-033.61", "[national-number]"),
        ("rijksregister 85073003361", "85073003361", "[national-number]"),
        ("call me on 0470 12 34 56", "0470 12 34 56", "[phone]"),
        ("or +32 2 518 21 23 please", "+32 2 518 21 23", "[phone]"),
        ("IBAN BE68 5390 0754 7034 thanks", "BE68 5390 0754 7034", "[iban]"),
        ("iban be68539007547034", "be68539007547034", "[iban]"),
        ("write to marie.dupont@example.be", "marie.dupont@example.be", "[email]"),
    ],
)
def test_personal_identifiers_are_redacted(text, secret, placeholder):
    cleaned = redact(text)
    assert secret not in cleaned
    assert placeholder in cleaned


def test_ordinary_words_and_short_numbers_are_kept():
    assert redact("step 2 of 6, postcode 1030, 8 working days") == (
        "step 2 of 6, postcode 1030, 8 working days"
    )
    # Twilio's call ids look like an IBAN to a careless pattern; logs must keep them.
    call = "CA12a4c6e8f0a2c4e6a8c0e2a4c6e8f0a2"
    assert redact(f"Call {call}: stream started") == f"Call {call}: stream started"
    # Nor are conversation ids (128 random bits in hex), alone or after a channel's name.
    for conversation in (
        "ab12cd34ef56ab78cd90ef12ab34cd56",
        "sms-ab12cd34ef56ab78cd90ef12ab34cd56",
    ):
        assert redact(f"Reply to {conversation} sent") == f"Reply to {conversation} sent"


def test_log_records_are_redacted_with_their_arguments():
    record = logging.LogRecord("x", logging.INFO, "f", 1, "from %s: %s", ("0470123456", "hi"), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "from [phone]: hi"


def test_tracebacks_are_redacted_too():
    # A failed statement's text quotes its parameters: what a person wrote, their number.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("test.redaction")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError("INSERT failed [parameters: ('call me on 0470 12 34 56',)]")
        except RuntimeError:
            log.exception("storing a message failed")
    finally:
        log.removeHandler(handler)
    printed = stream.getvalue()
    assert "RuntimeError: INSERT failed [parameters: ('call me on [phone]',)]" in printed
    assert "0470" not in printed


async def test_the_rate_limit_refills_over_time():
    now = [0.0]
    limiter = RateLimiter(per_minute=2, clock=lambda: now[0])
    assert [await limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert await limiter.allow("b")  # per client
    now[0] += 30.0
    assert await limiter.allow("a")


def test_a_weaker_language_source_never_overrides_a_stronger_one():
    assert choose("fr", LanguageSource.EXPLICIT, "nl", LanguageSource.DETECTED) == (
        "fr",
        LanguageSource.EXPLICIT,
    )
    assert choose("fr", LanguageSource.DETECTED, "nl", LanguageSource.DETECTED) == (
        "nl",
        LanguageSource.DETECTED,
    )
    assert choose("fr", LanguageSource.HINT, None, LanguageSource.EXPLICIT) == (
        "fr",
        LanguageSource.HINT,
    )
    # "merci" in a conversation held in Dutch: a few words start a language, never switch one.
    assert choose("nl", LanguageSource.DETECTED, "fr", detection("merci")[1]) == (
        "nl",
        LanguageSource.DETECTED,
    )
    assert choose(None, LanguageSource.DEFAULT, "fr", detection("merci")[1]) == (
        "fr",
        LanguageSource.GUESSED,
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("jai perdu ma carte didentite", "fr"),
        ("ik ben mijn identiteitskaart kwijt", "nl"),
        ("I lost my identity card, what do I do", "en"),
        # Short and SMS-style: Loket's lexicon knows how people write.
        ("bjr svp", "fr"),
        ("volgende aub", "nl"),
        ("next pls", "en"),
        # Mixed: the sentence's grammar wins over a borrowed word.
        ("lost my identiteitskaart", "en"),
        # Words every language uses tell nothing: the conversation keeps its language.
        ("ok", None),
        ("1", None),
        ("1030 Schaerbeek", None),
    ],
)
def test_detection_answers_only_when_it_can_tell(text, language):
    assert detect(text) == language


def test_database_urls_get_the_async_driver():
    make = lambda url: Settings(database_url=url, _env_file=None).database  # noqa: E731
    assert make("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert make("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert make("sqlite:////tmp/x.db") == "sqlite+aiosqlite:////tmp/x.db"
    assert make("").startswith("sqlite+aiosqlite:///")


def test_timestamps_in_log_lines_are_not_mistaken_for_phone_numbers():
    line = "2026-11-30 05:15:48 INFO root - Rasa server is up"
    assert redact(line) == line


async def test_a_database_error_never_quotes_what_a_person_wrote(tmp_path):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from bot.conversations.store import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE notes (body TEXT NOT NULL)"))
            with pytest.raises(DBAPIError) as failed:
                await connection.execute(
                    text("INSERT INTO notes (nope) VALUES (:body)"), {"body": "call 0470 12 34 56"}
                )
    finally:
        await engine.dispose()
    assert "0470" not in str(failed.value)
