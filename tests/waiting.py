"""Waiting in tests for something that happens in the background (a task, a thread)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

SAFETY_NET_SECONDS = 30.0  # only against a hanging test: nothing is timed


async def eventually(
    condition: Callable[[], Awaitable[bool] | bool],
    seconds: float = SAFETY_NET_SECONDS,
    failure: str = "condition not met in time",
) -> None:
    """Wait until `condition` (plain or async) holds; fail with `failure` if it never does."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        held = condition()
        if await held if inspect.isawaitable(held) else held:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(failure)
        await asyncio.sleep(0.02)
