"""Console accounts: argon2 password hashes, sign-in with lock-out, the demo account.

A password is only ever stored as an argon2 hash. Five failed sign-ins in a row lock
an account for fifteen minutes; a success resets the count. What a sign-in returns
never tells whether a name exists: an unknown name costs the same hashing time as a
known one and gets the same refusal.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.conversations.model import Agent, Role
from bot.conversations.records import AgentRecord
from bot.settings import LANGUAGES, Settings

Sessions = async_sessionmaker[AsyncSession]

MAX_FAILURES = 5
LOCK_TIME = timedelta(minutes=15)
MIN_PASSWORD_CHARS = 12
DEMO_NAME = "demo"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

_hasher = PasswordHasher()
# Verified against when a name is unknown, so that the answer takes as long as for a known one.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A name, role, language or password that cannot be used; the message says why."""


def generate_password() -> str:
    """A random password of about 120 bits, easy to copy (letters, digits, - and _)."""
    return secrets.token_urlsafe(15)


def check_password(password: str) -> None:
    """AccountError unless `password` is long enough to resist guessing."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")


async def add_agent(
    sessions: Sessions,
    name: str,
    password: str,
    role: str = Role.AGENT,
    language: str = "fr",
    now: datetime | None = None,
) -> AgentRecord:
    """Create an account; AccountError if the name is taken or anything is invalid."""
    _check_fields(name, role, language)
    check_password(password)
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    try:
        async with sessions.begin() as session:
            row = Agent(
                name=name,
                password_hash=password_hash,
                role=role,
                language=language,
                available=False,
                failed_sign_ins=0,
                created_at=now or datetime.now(UTC),
            )
            session.add(row)
            await session.flush()
            return AgentRecord.of(row)
    except IntegrityError:
        raise AccountError(f"an account named {name!r} exists already") from None


async def set_password(
    sessions: Sessions, name: str, password: str, role: str | None = None
) -> None:
    """Give an existing account a new password (and `role`, if given), and unlock it."""
    password_hash = await asyncio.to_thread(_hasher.hash, password)
    async with sessions.begin() as session:
        row = await session.scalar(select(Agent).where(Agent.name == name))
        if row is None:
            raise AccountError(f"there is no account named {name!r}")
        row.password_hash, row.failed_sign_ins, row.locked_until = password_hash, 0, None
        row.role = role or row.role


async def sign_in(
    sessions: Sessions, name: str, password: str, now: datetime
) -> AgentRecord | None:
    """The account if `password` is right and the account is not locked; None otherwise."""
    async with sessions.begin() as session:
        row = await session.scalar(select(Agent).where(Agent.name == name).with_for_update())
        stored_hash = row.password_hash if row is not None else _DUMMY_HASH
        right = await asyncio.to_thread(_verify, stored_hash, password)
        if row is None or _locked(row, now):
            return None  # a locked account stays locked, even for the right password
        if not right:
            _count_failure(row, now)
            return None
        row.failed_sign_ins, row.locked_until = 0, None
        if _hasher.check_needs_rehash(row.password_hash):  # parameters were raised since
            row.password_hash = await asyncio.to_thread(_hasher.hash, password)
        return AgentRecord.of(row)


async def list_agents(sessions: Sessions) -> list[AgentRecord]:
    """Every account, by name."""
    async with sessions() as session:
        return [
            AgentRecord.of(row) for row in await session.scalars(select(Agent).order_by(Agent.name))
        ]


async def locked_names(sessions: Sessions, now: datetime) -> set[str]:
    """Names of the accounts locked now (for supervisors)."""
    async with sessions() as session:
        rows = await session.scalars(select(Agent).where(Agent.locked_until.is_not(None)))
        return {row.name for row in rows if _locked(row, now)}


async def names(sessions: Sessions, agent_ids: Sequence[int]) -> dict[int, str]:
    """The names of some accounts, by id (to sign agents' messages in a transcript)."""
    if not agent_ids:
        return {}
    async with sessions() as session:
        rows = await session.execute(
            select(Agent.id, Agent.name).where(Agent.id.in_(set(agent_ids)))
        )
        return {agent_id: name for agent_id, name in rows}


async def set_language(sessions: Sessions, agent_id: int, language: str) -> None:
    """The language the console speaks to this agent."""
    if language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")
    async with sessions.begin() as session:
        row = await session.get(Agent, agent_id)
        if row is not None:
            row.language = language


async def reset_demo_agent(sessions: Sessions, language: str) -> tuple[str, str]:
    """(Re)create the account "demo" with a new generated password; return both.

    A supervisor: the demo shows the queue, the accounts and the dashboard.
    """
    password = generate_password()
    try:
        await add_agent(sessions, DEMO_NAME, password, Role.SUPERVISOR, language)
    except AccountError:
        await set_password(sessions, DEMO_NAME, password, Role.SUPERVISOR)
    return DEMO_NAME, password


def ensure_demo_agent(settings: Settings) -> tuple[str, str]:
    """The demo account's name and a fresh password (only its hash is stored).

    Blocking, for `loket run` before the hub starts: it brings the schema up to date first.
    """
    from bot.conversations.store import create_engine
    from bot.migrations import upgrade

    async def reset() -> tuple[str, str]:
        engine = create_engine(settings.database)
        try:
            sessions = async_sessionmaker(engine, expire_on_commit=False)
            return await reset_demo_agent(sessions, settings.default_language)
        finally:
            await engine.dispose()

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database)
    return asyncio.run(reset())


def _check_fields(name: str, role: str, language: str) -> None:
    if not NAME.match(name):
        raise AccountError(
            "a name has 1 to 64 characters: letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    if role not in tuple(Role):
        raise AccountError(f"role must be one of {', '.join(Role)}")
    if language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked(row: Agent, now: datetime) -> bool:
    return row.locked_until is not None and row.locked_until > now


def _count_failure(row: Agent, now: datetime) -> None:
    row.failed_sign_ins = (row.failed_sign_ins or 0) + 1
    if row.failed_sign_ins >= MAX_FAILURES:
        # The count starts again after the lock, so the next five tries are five again.
        row.failed_sign_ins, row.locked_until = 0, now + LOCK_TIME
