"""WordlessMessageClassifier inside Rasa (issue 11, part 2): trained, stored and loaded
again with Rasa's own model storage in the brain environment, then run on Rasa's Message
objects as the pipeline runs it after DIET and the FallbackClassifier."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.settings import ROOT, Settings

pytestmark = pytest.mark.integration

# Runs in the brain's Python: trains on a few examples, reloads, parses the messages.
SCRIPT = """
import json, sys, tempfile
from pathlib import Path
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from nlu.components.wordless import WordlessMessageClassifier

examples, texts = json.load(sys.stdin)
storage = LocalModelStorage(Path(tempfile.mkdtemp()))
resource = Resource("wordless")
training = TrainingData([Message(data={"text": t, "intent": i}) for t, i in examples])
WordlessMessageClassifier.create({}, storage, resource, None).train(training)
component = WordlessMessageClassifier.load({}, storage, resource, None)
out = []
for text in texts:
    ranking = [{"name": "affirm", "confidence": 0.8}, {"name": "deny", "confidence": 0.1}]
    message = Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})
    component.process([message])
    out.append([message.get("intent")["name"], message.get("intent_ranking")[0]["name"]])
print(json.dumps(out))
"""


def parse(examples: list[tuple[str, str]], texts: list[str]) -> dict[str, str]:
    python = Settings(_env_file=None).brain_venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", SCRIPT],
        input=json.dumps([examples, texts]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    results = json.loads(done.stdout.strip().splitlines()[-1])
    for intent, first_ranked in results:
        assert intent == first_ranked, "the ranking must start with the intent given"
    return {text: intent for text, (intent, _) in zip(texts, results, strict=True)}


def test_a_message_with_no_word_to_read_is_not_understood() -> None:
    examples = [("y", "affirm"), ("ok", "affirm"), ("oui", "affirm"), ("n", "deny")]
    texts = ["?", "...", "x", "x ?", "  ", "y", "OK !", "n", "oé", "oui", "1030", "x oui"]
    assert parse(examples, texts) == {
        # Nothing to read: not understood.
        "?": "nlu_fallback",
        "...": "nlu_fallback",
        "x": "nlu_fallback",
        "x ?": "nlu_fallback",
        "  ": "nlu_fallback",
        # Letters the training data uses as words, two letters or more, numbers: DIET's.
        "y": "affirm",
        "OK !": "affirm",
        "n": "affirm",
        "oé": "affirm",
        "oui": "affirm",
        "1030": "affirm",
        "x oui": "affirm",
    }


def test_a_message_in_a_script_the_training_data_never_uses_is_not_understood() -> None:
    """What Vosk's Korean model made of French speech (the phone benchmark) went to the
    next step as `affirm`, or hung up as `goodbye` on the one Latin word in it: so would
    Amharic, Chinese or Korean typed in the chat."""
    examples = [("oui", "affirm"), ("no wifi at home", "proc_digital_help"), ("a", "x")]
    texts = [
        "알미르 어퍼 나쁜 들인 느꼈다",
        "ሰላም",
        "你好",
        "함을 함 합의 WIFI 말해봐",
        "A 빌마 리더기 데",
        "1030 서울",
        "wifi 와이파이",
        "no wifi 집에",
    ]
    assert parse(examples, texts) == {
        "알미르 어퍼 나쁜 들인 느꼈다": "nlu_fallback",
        "ሰላም": "nlu_fallback",
        "你好": "nlu_fallback",
        # Mostly unreadable: DIET would answer from one word as if it were all.
        "함을 함 합의 WIFI 말해봐": "nlu_fallback",
        "A 빌마 리더기 데": "nlu_fallback",
        # Half of the words or more readable (a number is): DIET's.
        "1030 서울": "affirm",
        "wifi 와이파이": "affirm",
        "no wifi 집에": "affirm",
    }
