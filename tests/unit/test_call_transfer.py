"""Tests of bot/channels/phone/transfer.py: the real twilio library against a local stand-in
of Twilio's REST API (tests/twilio_standin.py)."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.channels.phone.transfer import transfer_call
from bot.settings import Settings
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn

CALL_SID = "CA" + "3" * 32
HELPDESK = "+3225550100"


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioStandIn]:
    standin = TwilioStandIn()
    await standin.start()
    yield standin
    await standin.stop()


def account(settings: Settings, url: str, token: str = AUTH_TOKEN) -> Settings:
    """`settings` with the stand-in's account, reached at `url`."""
    return settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": SecretStr(token),
            "twilio_api_base_url": url,
        }
    )


async def test_the_live_call_is_updated_to_dial_the_helpdesk(
    settings: Settings, twilio: TwilioStandIn, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.DEBUG):
        assert await transfer_call(account(settings, twilio.url), CALL_SID, HELPDESK, None, "fr")

    [update] = twilio.updates
    assert update.call_sid == CALL_SID
    response = ElementTree.fromstring(update.twiml)
    assert [(node.tag, node.text) for node in response] == [("Dial", HELPDESK)]
    assert HELPDESK not in caplog.text, "the number is never logged"


async def test_a_sentence_to_say_comes_before_the_dial(settings: Settings, twilio: TwilioStandIn):
    said = "Je vous passe un collègue."
    assert await transfer_call(account(settings, twilio.url), CALL_SID, HELPDESK, said, "fr")

    response = ElementTree.fromstring(twilio.updates[0].twiml)
    say, dial = list(response)
    assert (say.tag, say.text, say.get("language")) == ("Say", said, "fr-FR")
    assert (dial.tag, dial.text) == ("Dial", HELPDESK)


async def test_a_wrong_token_is_no_transfer(
    settings: Settings, twilio: TwilioStandIn, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.WARNING):
        wrong = account(settings, twilio.url, token="not-the-token")
        assert not await transfer_call(wrong, CALL_SID, HELPDESK, None, "nl")

    assert twilio.updates == []
    assert "401" in caplog.text and HELPDESK not in caplog.text


async def test_without_twilio_there_is_no_transfer(settings: Settings, twilio: TwilioStandIn):
    url = twilio.url
    await twilio.stop()  # nothing listens there any more
    assert not await transfer_call(account(settings, url), CALL_SID, HELPDESK, None, "en")


async def test_without_an_account_sid_nothing_is_tried(settings: Settings, twilio: TwilioStandIn):
    unset = account(settings, twilio.url).model_copy(update={"twilio_account_sid": ""})
    assert not await transfer_call(unset, CALL_SID, HELPDESK, None, "en")
    assert twilio.updates == []
