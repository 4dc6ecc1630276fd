"""Rendering the console's pages: templates, the agent's language, messages after a change.

Jinja2 autoescapes everything: whatever a person typed reaches the page as text, never
as HTML. Every page gets the same frame (header with availability, language, sign-out;
messages left by the last change) from `render`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.appkeys import service_key, settings_key
from bot.console import csrf, formats
from bot.console.i18n import ENDONYMS, ConsoleLanguage, Translator, language_of
from bot.console.sessions import optional_agent
from bot.conversations.desk import AgentDesk
from bot.handoff_texts import speakable_number

TEMPLATES = Path(__file__).resolve().parent / "templates"
jinja_key = web.AppKey("console_jinja", jinja2.Environment)
_FLASH = "flash"


def setup_templates(app: web.Application) -> None:
    """The console's own template environment (strict: an unknown name fails loudly)."""
    aiohttp_jinja2.setup(
        app,
        app_key=jinja_key,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )


def desk(request: web.Request) -> AgentDesk:
    """The core's desk: everything agents do goes through it."""
    return request.config_dict[service_key].desk


def now(request: web.Request) -> datetime:
    """The hub's clock (tests pin it)."""
    return request.config_dict[service_key].now()


@dataclass(frozen=True)
class Formats:
    """Dates and durations in one language, relative to one "now", for templates."""

    language: str
    now: datetime

    def duration(self, seconds: float) -> str:
        """See formats.duration."""
        return formats.duration(self.language, seconds)

    def time(self, value: datetime) -> str:
        """ "14:05" today, "Tue 9 Dec 14:05" another day."""
        if formats.local(value).date() == self.today:
            return formats.clock_time(value)
        return formats.moment(self.language, value, self.now)

    def moment(self, value: datetime | None) -> str:
        """See formats.moment."""
        return formats.moment(self.language, value, self.now) if value else ""

    def half_day(self, due: date | None, half: str | None) -> str:
        """See formats.half_day."""
        return formats.half_day(self.language, due, half, self.today)

    def phone(self, number: str) -> str:
        """A Belgian number as agents dial it by hand: 0470 12 34 56."""
        return speakable_number(number)

    def iso(self, value: datetime) -> str:
        """See formats.iso."""
        return formats.iso(value)

    @property
    def today(self) -> date:
        """Today in Brussels."""
        return formats.local(self.now).date()


async def language(request: web.Request) -> ConsoleLanguage:
    """The console's language for this request: the agent's, else the session's choice."""
    agent = optional_agent(request)
    if agent is not None:
        return language_of(agent.language, "fr")
    session = await get_session(request)
    default = request.config_dict[settings_key].default_language
    return language_of(session.get("lang") or _accepted(request), default)


async def flash(request: web.Request, key: str, kind: str = "info", **fields: object) -> None:
    """A message for the next page the agent sees (after a redirect)."""
    session = await get_session(request)
    session[_FLASH] = [*session.get(_FLASH, []), [kind, key, fields]]


async def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    """The page `template` in the agent's language, with the console's frame."""
    session = await get_session(request)
    lang = await language(request)
    t = Translator(lang)
    flashes = [(kind, t(key, **fields)) for kind, key, fields in session.pop(_FLASH, [])]
    frame = {
        "agent": optional_agent(request),
        "lang": lang,
        "t": t,
        "fmt": Formats(lang, now(request)),
        "csrf_token": csrf.token(session),
        "flashes": flashes,
        "endonyms": ENDONYMS,
        "here": request.path_qs,
        "page": "",
        "conversation_id": "",
    }
    response = aiohttp_jinja2.render_template(
        template, request, frame | context, status=status, app_key=jinja_key
    )
    response.headers["Cache-Control"] = "no-store"  # conversations are private
    return response


def _accepted(request: web.Request) -> str | None:
    """The first of fr, nl, en in the browser's Accept-Language."""
    for part in request.headers.get("Accept-Language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in ENDONYMS:
            return code
    return None
