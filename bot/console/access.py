"""Who may open which console page: the helpdesk's desk, the dashboard, supervisors' pages.

Every handler is for the desk (agents and supervisors) unless `for_roles` says otherwise.
Operators are not agents: they see the dashboard, and the queue, conversations,
callbacks and live stream refuse them with a page that says why. The console's home
(the queue) sends an operator to the dashboard instead. Supervisors may do everything.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from bot.console import sessions
from bot.conversations.model import Role

DESK = frozenset({Role.AGENT, Role.SUPERVISOR})
DASHBOARD = frozenset({Role.OPERATOR, Role.SUPERVISOR})
SUPERVISORS = frozenset({Role.SUPERVISOR})
EVERYONE = frozenset(Role)
# What a refused account is told (a text key of the console, see i18n.py).
REFUSALS = {DESK: "agents_only", DASHBOARD: "operators_only", SUPERVISORS: "supervisors_only"}
HOME_OF_OPERATORS = f"{sessions.PREFIX}/dashboard"


def for_roles(roles: frozenset[Role]) -> Callable[[sessions.Handler], sessions.Handler]:
    """Mark a handler that only accounts of `roles` may use."""

    def mark(handler: sessions.Handler) -> sessions.Handler:
        handler.console_roles = roles  # type: ignore[attr-defined]
        return handler

    return mark


@web.middleware
async def require_role(request: web.Request, handler: sessions.Handler) -> web.StreamResponse:
    """Refuse (403) an account whose role the page is not for; public pages pass."""
    agent = sessions.optional_agent(request)
    roles: frozenset[Role] = getattr(request.match_info.handler, "console_roles", DESK)
    if agent is None or agent.role in roles:
        return await handler(request)
    if agent.role == Role.OPERATOR and request.match_info.route.name == "queue":
        raise web.HTTPSeeOther(HOME_OF_OPERATORS)
    raise web.HTTPForbidden(reason=REFUSALS.get(roles, "supervisors_only"))
