"""The hub as `loket serve` runs it, on a clock moved to a pinned moment, for benchmarks/handoff.py.

benchmarks/handoff.py starts it in a process of its own, so that the load generator
does not share the hub's event loop:

    python -m benchmarks.handoff_hub OFFSET_SECONDS [PROFILE_FILE]

The hub's clock is the real time plus OFFSET_SECONDS (the benchmark puts it in office
hours and it moves on as usual). With PROFILE_FILE, the whole run is profiled with
cProfile and the statistics are written there when the hub stops (SIGTERM or Ctrl-C).
"""

from __future__ import annotations

import cProfile
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.app import create_app
from bot.redact import configure_logging
from bot.settings import get_settings


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the hub until stopped."""
    offset_arg, *profile = sys.argv[1:] if argv is None else argv
    offset = timedelta(seconds=float(offset_arg))
    settings = get_settings()
    configure_logging(settings.log_level)
    app = create_app(settings, clock=lambda: datetime.now(UTC) + offset)
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
