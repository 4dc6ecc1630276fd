"""What is going on now on this hub's phone line (calls, relayed streams), counted so that
a stopping hub can wait for none to be left."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator


class LiveCount:
    """How many of something are going on now, and a wait for none."""

    def __init__(self) -> None:
        self._live = 0
        self._none_live = asyncio.Event()
        self._none_live.set()

    @property
    def live(self) -> int:
        """How many are going on now."""
        return self._live

    def update(self, live: int) -> None:
        """There are `live` going on now."""
        self._live = live
        if live:
            self._none_live.clear()
        else:
            self._none_live.set()

    @contextlib.contextmanager
    def one(self) -> Iterator[None]:
        """`with count.one():` around one of them."""
        self.update(self._live + 1)
        try:
            yield
        finally:
            self.update(self._live - 1)

    async def all_ended(self) -> None:
        """Return once none is going on."""
        await self._none_live.wait()
