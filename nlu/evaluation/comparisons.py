"""Comparing configurations: other pipelines measured on the same held-out set.

`--compare config-X.yml ...` names them; `--ablate` derives them from config.yml, without
each of Loket's own NLU components (nlu/components/) it uses and with each it lacks.
Each is trained on the same data and parsed as the bot answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.settings import ROOT, Settings
from nlu.evaluation import relative_path
from nlu.evaluation.held_out import Example
from nlu.evaluation.rasa_runs import ModelLabels, parse_messages, train_comparison_model
from nlu.evaluation.scores import LanguageResult

CONFIG = ROOT / "config.yml"

# Loket's own NLU components, and the component each one follows in a pipeline.
CUSTOM_COMPONENTS = {
    "nlu.components.lemmas.LookupLemmatizer": "WhitespaceTokenizer",
    "nlu.components.communes.CommuneEntityExtractor": "EntitySynonymMapper",
    "nlu.components.wordless.WordlessMessageClassifier": "FallbackClassifier",
    "nlu.components.sections.SectionEntityExtractor": "FallbackClassifier",
}
ENTITY_COLUMNS = ("commune", "postcode")  # the entities the custom components are about
# The intents a custom component changes: SectionEntityExtractor makes an nlu_fallback
# that asks a detail in so many words ask_section.
INTENT_COLUMNS = ("ask_section",)


def ablation_configs(config: Path, out: Path) -> list[Path]:
    """config.yml without each custom component it has, and with each one it lacks."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    names = [component["name"] for component in data["pipeline"]]
    variants = []
    for component, after in CUSTOM_COMPONENTS.items():
        short = component.rsplit(".", 1)[1]
        if component in names:
            label = f"without-{short}"
            pipeline = [c for c in data["pipeline"] if c["name"] != component]
        else:
            label, at = f"with-{short}", names.index(after) + 1
            pipeline = [*data["pipeline"][:at], {"name": component}, *data["pipeline"][at:]]
        path = out / f"config-{label}.yml"
        path.write_text(yaml.safe_dump({**data, "pipeline": pipeline}, sort_keys=False))
        variants.append(path)
    return variants


@dataclass
class Comparison:
    """One alternative configuration evaluated on the same held-out set."""

    config: str
    train_seconds: float
    results: list[LanguageResult]


def compare(
    settings: Settings,
    configs: Sequence[Path],
    known: dict[str, list[Example]],
    labels: ModelLabels,
    out: Path,
) -> list[Comparison]:
    """Train each configuration of `--compare` and evaluate it as the bot answers."""
    comparisons = []
    for config in configs:
        model, seconds = train_comparison_model(settings, config.resolve(), out)
        print(f"Parsing the held-out messages with {model.name}...", flush=True)
        bot, _ = parse_messages(settings, model, known, labels, out)
        results = [LanguageResult(lang, bot[lang]) for lang in known if bot[lang]]
        name = (
            relative_path(config.resolve())
            if config.resolve().is_relative_to(ROOT)
            else config.stem
        )
        comparisons.append(Comparison(name, seconds, results))
    return comparisons
