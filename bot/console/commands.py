"""`loket agent add NAME` and `loket agent list`: console accounts from the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.console import accounts
from bot.conversations.model import Role
from bot.conversations.store import create_engine
from bot.migrations import upgrade
from bot.settings import LANGUAGES, Settings

T = TypeVar("T")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `agent` sub-commands."""
    commands = parser.add_subparsers(dest="agent_command", required=True)
    add = commands.add_parser("add", help="create a console account (the password is asked)")
    add.add_argument("name", help="the name to sign in with (letters, digits, . _ @ -)")
    add.add_argument("--role", choices=tuple(Role), default=Role.AGENT, help="default: agent")
    add.add_argument("--language", choices=LANGUAGES, help="of the console; default: the hub's")
    add.add_argument(
        "--generate", action="store_true", help="make a password and print it once, instead"
    )
    commands.add_parser("list", help="list the console accounts")


def run(
    args: argparse.Namespace,
    settings: Settings,
    ask: Callable[[str], str] | None = None,
) -> int:
    """Run `loket agent ...`; `ask` reads a password without echo (getpass by default)."""
    ask = ask or getpass.getpass
    try:
        if args.agent_command == "add":
            return _add(args, settings, ask)
        return _list(settings)
    except accounts.AccountError as error:
        print(f"loket agent: {error}", file=sys.stderr)
        return 1


def _add(args: argparse.Namespace, settings: Settings, ask: Callable[[str], str]) -> int:
    if args.generate:
        password = accounts.generate_password()
    else:
        password = ask(f"Password for {args.name}: ")
        accounts.check_password(password)
        if ask("The same password again: ") != password:
            raise accounts.AccountError("the two passwords differ; nothing was stored")
    language = args.language or settings.default_language
    agent = _with_sessions(
        settings,
        lambda sessions: accounts.add_agent(sessions, args.name, password, args.role, language),
    )
    print(f"Account {agent.name!r} created ({agent.role}, console in {agent.language}).")
    if args.generate:
        print(f"Password (shown once, only its hash is stored): {password}")
    return 0


def _list(settings: Settings) -> int:
    agents = _with_sessions(settings, accounts.list_agents)
    if not agents:
        print("No accounts yet. Create one with: loket agent add NAME")
    for agent in agents:
        state = "available" if agent.available else "away"
        print(f"{agent.name}\t{agent.role}\t{agent.language}\t{state}")
    return 0


def _with_sessions(settings: Settings, work: Callable[[accounts.Sessions], Awaitable[T]]) -> T:
    """Run `work` against the hub's database, its schema brought up to date first."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database)

    async def go() -> T:
        engine = create_engine(settings.database)
        try:
            return await work(async_sessionmaker(engine, expire_on_commit=False))
        finally:
            await engine.dispose()

    return asyncio.run(go())
