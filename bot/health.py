"""Liveness and readiness probes for load balancers and the launcher."""

from __future__ import annotations

from aiohttp import web

from bot.brain import BrainClient

brain_key = web.AppKey("brain", BrainClient)


def setup(app: web.Application) -> None:
    """Add /healthz and /readyz."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)


async def healthz(_: web.Request) -> web.Response:
    """The hub process is alive."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when Rasa has a model loaded and the action server answers."""
    readiness = await request.app[brain_key].readiness()
    body = {
        "status": "ready" if readiness.ready else "not_ready",
        "model_loaded": readiness.model_loaded,
        "action_server": readiness.action_server,
    }
    return web.json_response(body, status=200 if readiness.ready else 503)
