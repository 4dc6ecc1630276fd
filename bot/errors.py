"""JSON errors for the public API: a clear message, a stable code, the right status."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(web.HTTPException):
    """An HTTP error whose body is `{"error": {"code": ..., "message": ...}}`."""

    def __init__(self, status: int, code: str, message: str, **headers: str) -> None:
        self.status_code = status
        super().__init__(
            text=web.json_response({"error": {"code": code, "message": message}}).text,
            content_type="application/json",
            headers=headers or None,
        )


# aiohttp's own errors (unknown route, body too large...) keep their status but speak JSON.
_AIOHTTP_CODES = {
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("too_large", "The request body is too large."),
}


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error on /api/ into a JSON error; never let a traceback reach a person."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError:
        raise
    except web.HTTPException as error:
        if error.status_code < 400:
            raise
        code, message = _AIOHTTP_CODES.get(error.status_code, ("http_error", error.reason))
        # A 405 says which methods the address takes (RFC 9110): keep aiohttp's Allow.
        allow = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else {}
        raise ApiError(error.status_code, code, message, **allow) from error
    except Exception:
        log.exception("Unexpected error on %s %s", request.method, request.path)
        raise ApiError(
            503,
            "temporarily_unavailable",
            "The service is having a problem. Please send your message again in a moment, "
            "with the same Idempotency-Key: it is never taken twice.",
            **{"Retry-After": "10"},
        ) from None
