"""Keys under which the hub application holds its shared parts, for channels and pages."""

from __future__ import annotations

from aiohttp import web

from bot.conversations.service import ConversationService
from bot.privacy.rasa_trackers import RasaTrackers
from bot.settings import Settings

service_key = web.AppKey("service", ConversationService)
settings_key = web.AppKey("settings", Settings)
rasa_trackers_key = web.AppKey("rasa_trackers", RasaTrackers)
