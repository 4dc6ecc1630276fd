"""`loket run` starts the brain with arguments Rasa reads as meant."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from bot.launcher import brain_processes
from bot.settings import Settings


def test_a_token_starting_with_a_dash_is_passed_as_the_tokens_value():
    # secrets.token_urlsafe() starts with "-" once in 64 starts: Rasa refused to start then.
    settings = Settings(rasa_token=SecretStr("-abc_def"), _env_file=None)
    [rasa] = [p for p in brain_processes(settings, Path("model.tar.gz")) if p.name == "rasa"]
    assert "--auth-token=-abc_def" in rasa.argv
