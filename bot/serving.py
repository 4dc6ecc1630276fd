"""Serving the hub on its port until SIGINT or SIGTERM, then stopping without cutting calls.

aiohttp's own shutdown stops reading every open connection at once: a call's media
stream would go deaf. So the hub stops in this order (`stop`):

1. its port closes: no new web chat request, webhook or call reaches this process, and
   a load balancer (or Twilio through it) goes to another replica;
2. the calls in progress go on to their natural end, for at most
   LOKET_CALL_DRAIN_SECONDS; the callers still on the line then hear that it is closing
   (their conversation is kept) and their calls end (`phone.drain`);
3. aiohttp's shutdown: open event streams end (a web chat page reconnects, to another
   replica), background work stops, the database is closed.
"""

from __future__ import annotations

import asyncio
import signal

from aiohttp import web

from bot.channels import phone


async def start(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Serve `app` on host:port; return the runner to `stop`."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def stop(runner: web.AppRunner) -> None:
    """Close the port, let the calls drain, then shut the application down."""
    for site in list(runner.sites):
        await site.stop()  # the listening socket only: open connections go on
    await phone.drain(runner.app)
    await runner.cleanup()


def stop_requested() -> asyncio.Event:
    """An event set by SIGINT (Ctrl-C) or SIGTERM (a container or service stopping)."""
    requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, requested.set)
    return requested


async def serve(app: web.Application, host: str, port: int) -> None:
    """Serve `app` until SIGINT or SIGTERM, then `stop` it."""
    runner = await start(app, host, port)
    await stop_requested().wait()
    await stop(runner)
