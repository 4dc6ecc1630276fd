"""SectionEntityExtractor inside Rasa (issue 11, part 1): run in the brain environment on
Rasa's own Message objects, as the trained pipeline runs it after DIET and the
FallbackClassifier. The phrases themselves are tests/unit/test_section_phrases.py."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.settings import ROOT, Settings

pytestmark = pytest.mark.integration

# Runs in the brain's Python: one message per case, the component's output as JSON.
SCRIPT = """
import json, sys
from rasa.shared.nlu.training_data.message import Message
from nlu.components.sections import SectionEntityExtractor

component = SectionEntityExtractor.create({}, None, None, None)
out = []
for text, intent, ranking in json.load(sys.stdin):
    data = {"text": text, "intent": {"name": intent, "confidence": 0.5},
            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking]}
    message = Message(data=data)
    component.process([message])
    out.append({"intent": message.get("intent")["name"],
                "sections": [e["value"] for e in message.get("entities", [])
                             if e["entity"] == "section"]})
print(json.dumps(out))
"""


def run(cases: list[tuple[str, str, list[tuple[str, float]]]]) -> list[dict]:
    python = Settings(_env_file=None).brain_venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_component_in_rasa() -> None:
    fallback = "nlu_fallback"
    unsure = [(fallback, 0.5), ("ask_section", 0.45), ("step_next", 0.4)]
    unsure_procedure = [(fallback, 0.5), ("proc_lost_eid", 0.48), ("ask_section", 0.42)]
    results = run(
        [
            # A clear question about a detail, where DIET was unsure: ask_section.
            ("c'est réservé à qui ?", fallback, unsure),
            # DIET's best guess was a procedure: left to "did you mean?".
            ("how much is that card", fallback, unsure_procedure),
            # A procedure named with a detail: the procedure, and the detail.
            ("hoeveel kost een nieuwe identiteitskaart", "proc_lost_eid", []),
            # A follow-up of ask_section: a single word names the detail.
            ("et les documents ?", "ask_section", []),
            # The same words in another intent name nothing.
            ("et les documents ?", "step_next", []),
        ]
    )
    assert results == [
        {"intent": "ask_section", "sections": ["who"]},
        {"intent": fallback, "sections": ["cost"]},
        {"intent": "proc_lost_eid", "sections": ["cost"]},
        {"intent": "ask_section", "sections": ["bring"]},
        {"intent": "step_next", "sections": []},
    ]
