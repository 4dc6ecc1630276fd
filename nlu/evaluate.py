"""Held-out NLU evaluation of the Loket model, per language; writes docs/nlu-report.md.

Gets the current model (`bot.training.ensure_model`: trains only if its inputs changed)
and, in the brain environment, (1) runs `rasa test nlu` once on the held-out messages of
all three languages (tests/nlu/{fr,nl,en}.yml) and splits Rasa's per-message predictions
(intent_successes.json, intent_errors.json) by language, and (2) parses every held-out
message with the model as the Rasa server does. Both are needed: `rasa test nlu` undoes
the FallbackClassifier before scoring (rasa/nlu/test.py, `undo_fallback_prediction`), so
it measures DIET's best guess, while the bot answers `nlu_fallback` whenever DIET is
unsure. The headline figures are the bot's. It also runs the hub's language detection
(`bot.languages.detect`) on every held-out message, and compares the first wave's intents
with their F1 before issue 9 on the mean of several trainings with different random seeds
(`--trainings`, default 5; the extra models are trained once per change of data and their
answers kept in models/trainings/). With `--compare config-X.yml ...` it
trains a model from each configuration and fills the report's "Components" section
(`--ablate`: config.yml without each of nlu/components/ it uses, with each it lacks);
without it, that section is kept as it was.

    .venvs/hub/bin/python -m nlu.evaluate [--trainings N] [--ablate] [--compare config-X.yml ...]
    (make eval)

The held-out files never go into training: a held-out message that also appears in nlu/
(ignoring case, accents and punctuation) is left out of the figures and listed. Test
intents and entities the model does not know (yet) are listed as "not in model".

The work is done by the modules of nlu/evaluation/ (held_out, rasa_runs, scores,
detection, comparisons, report); this file is the command line that ties them together.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import LANGUAGES, ROOT, Settings, get_settings
from bot.training import BrainSetupError, ensure_model, rasa_executable
from nlu.evaluation import EvaluationError, relative_path
from nlu.evaluation.comparisons import CONFIG, ablation_configs, compare
from nlu.evaluation.detection import (
    OURS,
    detection,
    load_other_languages_set,
    other_language_identification,
)
from nlu.evaluation.held_out import load_test_set, test_set_digest
from nlu.evaluation.rasa_runs import model_labels, parse_messages, rasa_test_command, run_rasa_test
from nlu.evaluation.report import REPORT, Run, previous_components, render, targets_section
from nlu.evaluation.scores import LanguageResult
from nlu.evaluation.trainings import SEEDS, current_trainings


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m nlu.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--compare", type=Path, nargs="+", default=None, metavar="CONFIG",
        help="also train a model from each configuration and fill the Components section",
    )  # fmt: skip
    parser.add_argument(
        "--ablate", action="store_true",
        help="also compare config.yml without each of Loket's NLU components it has "
        "(nlu/components/) and with each one it lacks",
    )  # fmt: skip
    parser.add_argument(
        "--trainings", type=int, default=len(SEEDS), choices=range(1, len(SEEDS) + 1),
        help="compare the first wave on the mean of this many trainings (random seeds "
        f"{', '.join(map(str, SEEDS))}; those beyond the first are kept in models/trainings/)",
    )  # fmt: skip
    parser.add_argument(
        "--model", type=Path, default=None,
        help="evaluate this model archive instead of the current one (no training)",
    )  # fmt: skip
    parser.add_argument(
        "--report", type=Path, default=REPORT, help="the Markdown report to write",
    )  # fmt: skip
    parser.add_argument(
        "--results", type=Path, default=None,
        help="keep Rasa's raw results in this folder (default: a temporary folder)",
    )  # fmt: skip
    options = parser.parse_args(argv)
    for config in options.compare or []:
        if not config.is_file():
            parser.error(f"--compare: {config} is not a file")
    python = Path(sys.executable)
    python = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    arguments = shlex.join(sys.argv[1:] if argv is None else list(argv))
    options.command = f"{python} -m nlu.evaluate {arguments}".rstrip()
    return options


def current_model(settings: Settings, options: argparse.Namespace) -> Path:
    """The model to evaluate: the one given, or the current one (trained if needed)."""
    if options.model is not None:
        return options.model.resolve()
    print("Getting the current model (trains only if config, domain or nlu/ changed)...")
    return ensure_model(settings)


def evaluate(options: argparse.Namespace, out: Path) -> Run:
    """Everything but writing the report."""
    began = time.monotonic()
    settings = get_settings()
    model = current_model(settings, options)
    seconds = {"model (training if needed)": time.monotonic() - began}
    labels, test_set = model_labels(model), load_test_set()
    known = test_set.known(labels.intents)
    rasa = rasa_executable(settings)
    print(f"rasa test nlu: {model.name} on {sum(map(len, known.values()))} messages...")
    by_language, rasa_report, seconds["rasa test nlu"] = run_rasa_test(
        rasa, model, known, labels, out
    )
    print("Parsing every held-out message as the Rasa server does...", flush=True)
    bot, seconds["parse"] = parse_messages(settings, model, known, labels, out)
    results = [LanguageResult(lang, bot[lang], by_language[lang]) for lang in known if bot[lang]]
    count = 1 if options.model is not None else options.trainings  # a given model: no others
    trainings = current_trainings(settings, results, known, labels, out, count)
    detections = [detection(lang, test_set.examples[lang]) for lang in LANGUAGES]
    other_languages = [
        *(
            other_language_identification(code, texts)
            for code, texts in load_other_languages_set().items()
        ),
        other_language_identification(OURS, [e.text for e in test_set.all]),
    ]
    configs = [*(options.compare or []), *(ablation_configs(CONFIG, out) if options.ablate else [])]
    comparisons = compare(settings, configs, known, labels, out) if configs else None
    seconds["total"] = time.monotonic() - began
    template = rasa_test_command(
        Path(relative_path(rasa)), model, Path("<held-out>.yml"), Path("<tmp>")
    )
    template[template.index("--model") + 1] = "<model>"
    return Run(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        model=model,
        command=options.command,
        rasa_command=shlex.join(template),
        seconds=seconds,
        test_set=test_set,
        digest=test_set_digest(),
        labels=labels,
        results=results,
        rasa_report=rasa_report,
        detections=detections,
        other_languages=other_languages,
        comparisons=comparisons,
        trainings=trainings,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate, write the report, print the targets."""
    options = parse_args(argv)
    try:
        if options.results is not None:
            options.results.mkdir(parents=True, exist_ok=True)
            run = evaluate(options, options.results.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="loket-eval-") as out:
                run = evaluate(options, Path(out))
    except (BrainSetupError, EvaluationError) as error:
        print(f"Evaluation failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    options.report.parent.mkdir(parents=True, exist_ok=True)
    options.report.write_text(render(run, previous_components(options.report)), encoding="utf-8")
    print("\n".join(targets_section(run)))
    print(f"Report written to {relative_path(options.report.resolve())}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
