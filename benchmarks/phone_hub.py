"""The hub as `loket serve` runs it, also writing down how fast each phone call went.

For benchmarks/phone.py, which starts it in a process of its own:

    python -m benchmarks.phone_hub STATS_FILE

Each call adds one JSON line to STATS_FILE when it ends: its `bot.channels.phone.call.CallStats`.
Once the phone line is warm (prompts rendered, recognisers ready: `warm_up`), it writes
`warm_file(STATS_FILE)`, holding the seconds that took since start-up.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from aiohttp import web

from bot.app import create_app
from bot.channels.phone import line_key
from bot.channels.phone.call import CallSession
from bot.redact import configure_logging
from bot.settings import get_settings


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the hub until stopped; the phone line must be on."""
    (stats_file,) = sys.argv[1:] if argv is None else argv
    settings = get_settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    app.on_startup.append(partial(_report_calls, Path(stats_file)))  # after the line opens
    web.run_app(app, host=settings.host, port=settings.port, print=None)
    return 0


async def _report_calls(stats_file: Path, app: web.Application) -> None:
    line = app.get(line_key)
    if line is None:
        raise RuntimeError("the phone line is off: set its public address and auth token")
    line.on_call_end = partial(_write_stats, stats_file)
    app[_warm_watch] = asyncio.create_task(_note_warm(line.warmed, warm_file(stats_file)))


_warm_watch = web.AppKey("warm_watch", asyncio.Task[None])


def warm_file(stats_file: Path) -> Path:
    """Where the hub says its phone line is warm."""
    return stats_file.with_suffix(".warm")


async def _note_warm(warmed: asyncio.Event, path: Path) -> None:
    started = time.monotonic()
    await warmed.wait()
    await asyncio.to_thread(path.write_text, f"{time.monotonic() - started:.1f}\n")


def _write_stats(stats_file: Path, session: CallSession) -> None:
    with stats_file.open("a") as out:
        out.write(json.dumps(dataclasses.asdict(session.stats)) + "\n")


if __name__ == "__main__":
    sys.exit(main())
