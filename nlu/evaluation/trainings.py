"""Several trainings of the same data that differ only in DIET's random seed.

A training is reproducible: the same data and seed give the same model on any machine.
Another seed, however, moves single intents by a message or two, and on the first wave's
held-out messages one message is 0.03 to 0.07 of an intent's F1, more than the 0.02 an
intent may fall (issue 11). So the first-wave comparison (first_wave.py) is made on the
mean over the same seeds before and now; one training alone cannot decide it.

The current data's trainings are kept in the models folder, keyed by the model's
fingerprint and the held-out set, so `make eval` trains them once per change of data.
The first wave's were measured once, from its commit, and are stored in first_wave.json:

    .venvs/hub/bin/python -m nlu.evaluation.trainings --baseline 9281922

About 15 messages per intent made one message worth 0.03 to 0.07 of F1, so training noise
alone made about two intents per language "fall". More held-out messages for the first
wave's intents make the comparison decisive; `--add-messages-since COMMIT` counts the
ones written after COMMIT among the first wave's messages (both sides are measured on
them: the first wave's model is its commit's data trained again with the same seeds).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.settings import ROOT, Settings, get_settings
from bot.training import BrainSetupError, fingerprint, train, training_lock
from nlu.evaluation import EvaluationError, first_wave
from nlu.evaluation.held_out import Example, load_test_set, test_set_digest
from nlu.evaluation.rasa_runs import ModelLabels, model_labels, parse_messages
from nlu.evaluation.scores import LanguageResult, Prediction

# config.yml's own seed first: the first training is the model the bot runs.
SEEDS = (first_wave.SEED, 1, 2, 3, 4)
SEED_LINE = re.compile(r"(?m)^(\s*random_seed:\s*)\d+\s*$")


def seeded_config(config: str, seed: int) -> str:
    """`config` (config.yml's text) with DIET's random seed replaced."""
    text, count = SEED_LINE.subn(rf"\g<1>{seed}", config)
    if count != 1:
        raise EvaluationError("config.yml must set DIET's random_seed exactly once.")
    return text


def train_with_seed(settings: Settings, root: Path, seed: int, out: Path) -> Path:
    """Train project `root`'s config.yml with `seed` into `out`; the model archive."""
    config = out / f"config-seed{seed}.yml"
    config.write_text(seeded_config((root / "config.yml").read_text("utf-8"), seed), "utf-8")
    name = f"seed{seed}"
    print(f"Training with random seed {seed} (a few minutes)...", flush=True)
    with training_lock(settings):
        train(settings, name, config=str(config), out=out, root=root)
    return out / f"{name}.tar.gz"


def cache_path(settings: Settings, seed: int) -> Path:
    """Where the current data's training with `seed` keeps its predictions."""
    key = f"{fingerprint()}-{test_set_digest()}-seed{seed}"
    return settings.models_dir / "trainings" / f"{key}.json"


def current_trainings(
    settings: Settings,
    first: Sequence[LanguageResult],
    known: dict[str, list[Example]],
    labels: ModelLabels,
    out: Path,
    count: int,
) -> dict[int, list[LanguageResult]]:
    """Per seed, the bot's answers to the held-out messages: `first` (the current model,
    config.yml's seed) and `count - 1` more trainings, trained unless kept from before."""
    trainings = {SEEDS[0]: list(first)}
    for seed in SEEDS[1:count]:
        cached = cache_path(settings, seed)
        if not cached.exists():
            model = train_with_seed(settings, ROOT, seed, out)
            bot, _ = parse_messages(settings, model, known, labels, out)
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(to_json(bot)), encoding="utf-8")
            model.unlink()
        bot = from_json(json.loads(cached.read_text(encoding="utf-8")))
        trainings[seed] = [LanguageResult(lang, bot[lang]) for lang in known if bot.get(lang)]
    return trainings


def to_json(bot: dict[str, list[Prediction]]) -> dict[str, list[list[object]]]:
    """Predictions as kept on disk: per language, [text, intent, predicted, confidence]."""
    return {
        lang: [[p.text, p.intent, p.predicted, p.confidence] for p in predictions]
        for lang, predictions in bot.items()
    }


def from_json(stored: dict[str, list[list[object]]]) -> dict[str, list[Prediction]]:
    """The predictions `to_json` kept."""
    return {
        lang: [Prediction(str(t), str(i), str(p), float(str(c))) for t, i, p, c in rows]
        for lang, rows in stored.items()
    }


def checkout(commit: str, into: Path) -> Path:
    """The files of `commit` (git archive) in `into`."""
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=False)
    if archive.returncode != 0:
        raise EvaluationError(f"git archive {commit} failed: {archive.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
        files.extractall(into, filter="data")
    return into


def first_wave_examples() -> dict[str, list[Example]]:
    """Per language, the held-out messages the first wave was measured on."""
    return {
        lang: [e for e in examples if first_wave.is_first_wave(lang, e.intent, e.raw)]
        for lang, examples in load_test_set().examples.items()
    }


def messages_added_since(commit: str) -> dict[str, set[str]]:
    """Per language, the digests of the held-out messages of the first wave's intents
    that were written after `commit` (lines of tests/nlu/ not in that commit's files)."""
    added: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="loket-held-out-") as temporary:
        before = load_test_set(checkout(commit, Path(temporary)) / "tests" / "nlu")
    for lang, examples in load_test_set().examples.items():
        old = {(e.intent, e.raw) for e in before.examples.get(lang, [])}
        intents = first_wave.baseline()[lang]
        added[lang] = {
            first_wave.message_key(e.intent, e.raw)
            for e in examples
            if e.intent in intents and (e.intent, e.raw) not in old
        }
    return added


def add_messages(stored: dict[str, Any], since: str) -> None:
    """Count the held-out messages written after `since` among the first wave's, in
    `stored` (first_wave.json's content) and in what first_wave.py reads from now on."""
    for lang, keys in messages_added_since(since).items():
        stored["messages"][lang] = sorted(set(stored["messages"][lang]) | keys)
        print(f"{lang}: {len(keys)} messages written since {since} added to the first wave's.")
    first_wave.BASELINE.write_text(json.dumps(stored, indent=1) + "\n", encoding="utf-8")
    first_wave.first_wave_messages.cache_clear()


def baseline_trainings(commit: str, seeds: Sequence[int]) -> dict[str, object]:
    """Train `commit`'s data with each seed; per seed, language and intent, the F1 on the
    first wave's held-out messages."""
    settings, examples = get_settings(), first_wave_examples()
    f1: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="loket-first-wave-") as temporary:
        root = checkout(commit, Path(temporary) / "tree")
        out = Path(temporary) / "out"
        out.mkdir()
        for seed in seeds:
            model = train_with_seed(settings, root, seed, out)
            labels = model_labels(model)
            bot, _ = parse_messages(settings, model, examples, labels, out, root)
            f1[str(seed)] = {
                lang: {
                    i: round(s.f1, 3) for i, s in LanguageResult(lang, bot[lang]).scores().items()
                }
                for lang in bot
            }
    return {"commit": commit, "seeds": list(seeds), "f1": f1}


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the first wave's trainings and store them in first_wave.json."""
    parser = argparse.ArgumentParser(
        prog="python -m nlu.evaluation.trainings", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--baseline", required=True, metavar="COMMIT", help="the first wave")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument(
        "--add-messages-since",
        metavar="COMMIT",
        help="first count the held-out messages of the first wave's intents written after "
        "COMMIT among the first wave's; its F1 then becomes the retraining's with seed "
        f"{first_wave.SEED} (the first wave's model) on them all",
    )
    options = parser.parse_args(argv)
    stored = json.loads(first_wave.BASELINE.read_text(encoding="utf-8"))
    try:
        if options.add_messages_since:
            add_messages(stored, options.add_messages_since)
        measured = baseline_trainings(options.baseline, options.seeds)
    except (BrainSetupError, EvaluationError) as error:
        print(f"Failed: {error}", file=sys.stderr)
        return 1
    stored["trainings"] = measured
    if options.add_messages_since:
        stored["f1"] = measured["f1"][str(first_wave.SEED)]  # type: ignore[index]
        stored["source"] = (
            f"commit {options.baseline}'s data trained with seed {first_wave.SEED} (the first "
            f"wave's model), on its held-out messages and those written after "
            f"{options.add_messages_since}"
        )
    first_wave.BASELINE.write_text(json.dumps(stored, indent=1) + "\n", encoding="utf-8")
    print(f"Stored in {first_wave.BASELINE.name}.")
    again = measured["f1"].get(str(first_wave.SEED), {})  # type: ignore[attr-defined]
    for lang, figures in stored["f1"].items():
        differ = {i: (f1, again.get(lang, {}).get(i)) for i, f1 in figures.items()}
        differ = {i: pair for i, pair in differ.items() if pair[0] != pair[1]}
        print(
            f"{lang}: seed {first_wave.SEED} against the stored F1 (report of the commit), "
            f"differing: {differ or 'none'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
