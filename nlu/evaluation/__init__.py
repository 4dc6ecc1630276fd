"""The held-out NLU evaluation behind `make eval` (`python -m nlu.evaluate`).

One concept per module, in the order the evaluation uses them:

- held_out: the held-out messages of tests/nlu/, minus those also in the training data
- rasa_runs: the brain environment: `rasa test nlu`, parsing as the Rasa server does,
  the labels packed in a model, training a model from another configuration
- scores: predictions and the figures computed from them (intents, entities, confusions)
- detection: the hub's language detection on the held-out messages
- comparisons: other configurations (`--compare`, `--ablate`) on the same held-out set
- first_wave, trainings: each first-wave intent's F1 before issue 9 and now, on the mean
  of trainings with several random seeds
- report: docs/nlu-report.md, section by section

nlu/evaluate.py is the command line that ties them together.
"""

from __future__ import annotations

from pathlib import Path

from bot.settings import ROOT


class EvaluationError(RuntimeError):
    """The evaluation cannot run; the message says why."""


def relative_path(path: Path) -> str:
    """A path as the report shows it: relative to the project when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
