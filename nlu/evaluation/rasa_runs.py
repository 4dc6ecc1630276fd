"""Rasa in the brain environment: `rasa test nlu`, parsing, training.

What a model knows (the domain packed in it), `rasa test nlu` on the held-out messages
(Rasa's per-message predictions split back by language), parsing every message exactly
as the Rasa server does (FallbackClassifier included), and training a model from
another configuration.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import tarfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT, Settings
from bot.training import brain_env, rasa_executable, train, training_lock
from nlu.evaluation import EvaluationError, relative_path
from nlu.evaluation.held_out import Example, gold_spans, strip_entities
from nlu.evaluation.scores import Prediction

# Runs in the brain environment (cwd: the project, so custom components import):
# parses each message exactly as the Rasa server does, FallbackClassifier included.
PARSE_SCRIPT = """
import asyncio, json, logging, sys
logging.disable(logging.WARNING)
from rasa.core.agent import Agent

async def main(model, source, target):
    agent = Agent.load(model)
    results = []
    with open(source, encoding="utf-8") as handle:
        texts = json.load(handle)
    for text in texts:
        parsed = await agent.parse_message(text)
        results.append({
            "intent": parsed.get("intent") or {},
            "entities": [
                {key: entity.get(key) for key in ("entity", "start", "end", "extractor")}
                for entity in parsed.get("entities") or []
            ],
        })
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(results, handle)

asyncio.run(main(*sys.argv[1:4]))
"""


@dataclass(frozen=True)
class ModelLabels:
    """The intents and entities a trained model knows (from the domain inside it)."""

    intents: frozenset[str]
    entities: frozenset[str]


def _names(items: Iterable[Any]) -> frozenset[str]:
    """Domain list entries are names or one-key mappings (`- greet:` with options)."""
    return frozenset(str(next(iter(i))) if isinstance(i, dict) else str(i) for i in items)


def model_labels(model: Path) -> ModelLabels:
    """Read the domain packed in a model archive."""
    with tarfile.open(model, "r:gz") as archive:
        member = next(
            (m for m in archive.getmembers() if m.name.endswith("domain_provider/domain.yml")),
            None,
        )
        handle = archive.extractfile(member) if member else None
        if handle is None:
            raise EvaluationError(f"No domain found inside the model {model}.")
        domain = yaml.safe_load(handle.read()) or {}
    return ModelLabels(_names(domain.get("intents") or []), _names(domain.get("entities") or []))


def write_rasa_test_file(examples: Sequence[Example], labels: ModelLabels, path: Path) -> None:
    """A Rasa NLU file of the examples, markup of entities unknown to the model removed."""
    by_intent: dict[str, list[str]] = {}
    for example in examples:
        by_intent.setdefault(example.intent, []).append(
            strip_entities(example.raw, labels.entities)
        )
    lines = ['version: "3.1"', "nlu:"]
    for intent, raws in by_intent.items():
        lines += [f"  - intent: {intent}", "    examples: |", *(f"      - {r}" for r in raws)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rasa_test_command(rasa: Path, model: Path, test_file: Path, out: Path) -> list[str]:
    """The `rasa test nlu` command."""
    return [
        str(rasa), "test", "nlu",
        "--nlu", str(test_file),
        "--model", str(model),
        "--out", str(out),
        "--successes", "--no-plot", "--no-warnings",
    ]  # fmt: skip


def run_brain_command(command: list[str], log: Path, root: Path = ROOT) -> float:
    """Run a command in the brain environment of project `root`, output to `log`; the
    seconds it took."""
    started = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.run(
            command,
            cwd=root,
            env=brain_env(root),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if process.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-25:])
        raise EvaluationError(
            f"`{shlex.join(command[:4])} ...` failed ({process.returncode}):\n{tail}"
        )
    return time.monotonic() - started


def read_rasa_predictions(out: Path) -> list[Prediction]:
    """Rasa's per-message results: intent_successes.json plus intent_errors.json."""
    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            for item in json.loads(path.read_text(encoding="utf-8")):
                guess = item.get("intent_prediction") or {}
                predictions.append(
                    Prediction(
                        text=item["text"],
                        intent=item["intent"],
                        predicted=guess.get("name") or "None",
                        confidence=float(guess.get("confidence") or 0.0),
                    )
                )
    return predictions


def split_by_language(
    predictions: Sequence[Prediction], known: dict[str, list[Example]]
) -> dict[str, list[Prediction]]:
    """Give each of Rasa's predictions back to the language of its message."""
    owner = {(e.text, e.intent): lang for lang, examples in known.items() for e in examples}
    split: dict[str, list[Prediction]] = {lang: [] for lang in known}
    for p in predictions:
        if (p.text, p.intent) in owner:
            split[owner[(p.text, p.intent)]].append(p)
    missing = sum(map(len, known.values())) - sum(map(len, split.values()))
    if missing:
        raise EvaluationError(f"{missing} held-out messages are missing from Rasa's results.")
    return split


def run_rasa_test(
    rasa: Path, model: Path, known: dict[str, list[Example]], labels: ModelLabels, out: Path
) -> tuple[dict[str, list[Prediction]], dict[str, Any], float]:
    """`rasa test nlu` once on all languages: predictions per language, its report, seconds."""
    test_file = out / "held-out.yml"
    write_rasa_test_file([e for examples in known.values() for e in examples], labels, test_file)
    results = out / "rasa-test-nlu"
    seconds = run_brain_command(
        rasa_test_command(rasa, model, test_file, results), out / "rasa-test-nlu.log"
    )
    report_file = results / "intent_report.json"
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.exists() else {}
    return split_by_language(read_rasa_predictions(results), known), report, seconds


def parse_messages(
    settings: Settings,
    model: Path,
    known: dict[str, list[Example]],
    labels: ModelLabels,
    out: Path,
    root: Path = ROOT,
) -> tuple[dict[str, list[Prediction]], float]:
    """Parse every message with the model as the Rasa server does; per language, seconds.

    `root` is the project the model was trained from (its custom components load).
    """
    examples = [e for lang in known for e in known[lang]]
    source, target = out / f"parse-{model.stem}.json", out / f"parsed-{model.stem}.json"
    source.write_text(json.dumps([e.text for e in examples]), encoding="utf-8")
    python = rasa_executable(settings).parent / "python"
    command = [str(python), "-c", PARSE_SCRIPT, str(model), str(source), str(target)]
    seconds = run_brain_command(command, out / f"parse-{model.stem}.log", root)
    parsed = json.loads(target.read_text(encoding="utf-8"))
    split: dict[str, list[Prediction]] = {lang: [] for lang in known}
    for example, result in zip(examples, parsed, strict=True):
        split[example.language].append(parsed_prediction(example, result, labels))
    return split, seconds


def parsed_prediction(example: Example, result: dict[str, Any], labels: ModelLabels) -> Prediction:
    """One message's parse result as a Prediction (entities as spans)."""
    intent = result.get("intent") or {}
    entities = result.get("entities") or []
    return Prediction(
        text=example.text,
        intent=example.intent,
        predicted=intent.get("name") or "None",
        confidence=float(intent.get("confidence") or 0.0),
        spans=frozenset((str(e["entity"]), int(e["start"]), int(e["end"])) for e in entities),
        gold=gold_spans(example.raw, labels.entities),
    )


def train_comparison_model(settings: Settings, config: Path, out: Path) -> tuple[Path, float]:
    """Train a model from another configuration on the same data; (model, seconds)."""
    name = f"compare-{config.stem}"
    print(f"Training a model from {relative_path(config)} (a few minutes)...", flush=True)
    with training_lock(settings):
        seconds = train(settings, name, config=str(config), out=out)
    return out / f"{name}.tar.gz", seconds
