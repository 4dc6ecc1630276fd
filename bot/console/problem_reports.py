"""An agent files a problem report for a conversation, or completes one, from its page.

The form has the fields the person's own dialogue gathers (bot/conversations/
problem_reports.py). Its values are checked before anything is stored: a choice that
is not one of the list, a text too long or a phone number that is none is refused
with 400 and nothing changes (the page's form cannot send them; a hand-made request can).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot.appkeys import service_key
from bot.console import pages, sessions
from bot.console.forms import BadForm
from bot.console.i18n import ConsoleLanguage
from bot.conversations import reports
from bot.conversations.flows import normalise_number
from bot.conversations.model import ProblemReport
from bot.conversations.records import ConversationRecord
from bot.conversations.store import ConversationStore


async def page_context(
    store: ConversationStore, conversation_id: str, language: ConsoleLanguage
) -> dict[str, Any]:
    """What the conversation page shows of its reports, and the form's choices."""
    return {
        "problem_reports": await reports.ProblemReports(store).of_conversation(conversation_id),
        "report_services": [(s.id, s.said(language)) for s in reports.services()],
        "report_categories": [(c.id, c.said(language)) for c in reports.categories()],
        "report_contacts": reports.CONTACTS,
        "report_max_text": reports.MAX_DESCRIPTION,
        "report_max_service_text": reports.MAX_SERVICE_TEXT,
    }


async def file_report(request: web.Request) -> web.Response:
    """File a new report (no `report_id`) or complete the conversation's report `report_id`."""
    service = request.config_dict[service_key]
    conversation = await service.conversation(request.match_info["conversation_id"])
    if conversation is None:
        raise web.HTTPNotFound()
    form = await request.post()
    values = _checked(form)
    store, now = reports.ProblemReports(service.store), pages.now(request)
    report_id = str(form.get("report_id", ""))
    if report_id:
        if not report_id.isdigit():
            raise BadForm(400)
        record = await store.complete(int(report_id), conversation.id, values, now)
        if record is None:
            raise web.HTTPNotFound()
    else:
        agent = sessions.current_agent(request)
        record = await store.file(_new(conversation, values, agent.name, now))
        service.report_filed(conversation.id, record.service, record.category)
    await pages.flash(request, "flash_report_filed", id=record.reference)
    target = request.app.router["conversation"].url_for(conversation_id=conversation.id)
    raise web.HTTPSeeOther(str(target))


def _checked(form: Any) -> dict[str, Any]:
    """The report's fields from the form; BadForm(400) when one is not acceptable."""
    service = str(form.get("service", ""))
    category = str(form.get("category", ""))
    contact = str(form.get("contact", ""))
    service_text = str(form.get("service_text", "")).strip()
    description = str(form.get("description", "")).strip()
    typed_number = str(form.get("contact_number", "")).strip()
    number = normalise_number(typed_number) if typed_number else None
    if (
        service not in {*(s.id for s in reports.services()), reports.OTHER}
        or category not in {c.id for c in reports.categories()}
        or contact not in reports.CONTACTS
        or len(service_text) > reports.MAX_SERVICE_TEXT
        or len(description) > reports.MAX_DESCRIPTION
        or (typed_number and number is None)
        or (contact == "phone" and number is None)
    ):
        raise BadForm(400)
    return {
        "service": service,
        "service_text": service_text or None,
        "category": category,
        "description": description or None,
        "contact": contact,
        "contact_number": number if contact == "phone" else None,
    }


def _new(
    conversation: ConversationRecord, values: dict[str, Any], agent: str, now: datetime
) -> ProblemReport:
    return ProblemReport(
        reference=reports.new_reference(),
        conversation_id=conversation.id,
        channel=conversation.channel,
        language=conversation.language,
        filed_by=agent,
        created_at=now,
        updated_at=now,
        **values,
    )
