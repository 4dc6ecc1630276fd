"""Dialogue configuration benchmark: Loket's config.yml against Rasa's default, same run.

Trains a model from each configuration on the same domain and training data (cached in
models/bench/, keyed by a fingerprint of the configuration and those inputs), then, for
each model in turn, starts the Rasa server and the action server (the same action code),
plays the web chat benchmark's scripted conversations against Rasa's REST webhook in a
closed loop at each concurrency level, and stops them. Then evaluates both models on the
held-out NLU set (`rasa test nlu --nlu tests/nlu`) and the dialogue test stories
(`rasa test core --stories tests/stories`). Writes its section of docs/benchmarks.md
and prints it.

    .venvs/hub/bin/python -m benchmarks.dialogue_config [--seconds 60] [--levels 1 50]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import shlex
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from benchmarks.web_chat import (
    REQUEST_TIMEOUT,
    SCRIPTS,
    SETTLE_SECONDS,
    Answer,
    Conversations,
    Processes,
    RasaAlone,
    Stats,
    Window,
    brain_settings,
    command_line,
    load_average,
    machine,
    run_window,
    running_brain,
    update_document,
    warm_up,
    wrap_prose,
)
from bot.launcher import Child
from bot.redact import configure_logging
from bot.settings import ROOT, Settings
from bot.training import (
    BrainSetupError,
    brain_env,
    fingerprint,
    rasa_executable,
    train,
    training_lock,
)

THROUGHPUT_GOAL = 2.5  # Loket's configuration answers at least 2.5 times as many messages/s
GOAL_LEVEL = 50  # ... at 50 concurrent conversations, with no loss of accuracy
BENCH_DIR = ROOT / "models" / "bench"
STORIES_DIR = ROOT / "tests" / "stories"
NLU_TEST_DIR = ROOT / "tests" / "nlu"
SECTION = ("<!-- dialogue_config:start -->", "<!-- dialogue_config:end -->")
# Components and policies that Rasa leaves untrained when the data gives them nothing to learn.
NETWORKS = ("DIETClassifier", "ResponseSelector", "TEDPolicy", "UnexpecTEDIntentPolicy")
MEMORIZED = "memorized_turns.json"  # MemoizationPolicy's lookup


@dataclass(frozen=True)
class Config:
    """A model configuration under test."""

    label: str  # short name: conversation ids, progress lines
    title: str  # as the report names it
    path: str  # relative to the project root
    prefix: str  # model file name prefix in models/bench/


DEFAULT = Config("default", "Rasa default", "benchmarks/rasa_default_config.yml", "rasa-default")
LOKET = Config("loket", "Loket", "config.yml", "loket")
CONFIGS = (DEFAULT, LOKET)


# --- models -----------------------------------------------------------------------


@dataclass(frozen=True)
class TrainedModel:
    """A model archive, how long it took to train, and what Rasa left untrained."""

    config: Config
    path: Path
    train_seconds: float | None
    trained_now: bool
    stale: bool = False  # inputs changed since (only with --skip-train-default)
    untrained: tuple[str, ...] = ()


def ensure_bench_model(settings: Settings, config: Config, reuse_stale: bool) -> TrainedModel:
    """The model of `config` for the current inputs, trained (and timed) if not cached."""
    name = f"{config.prefix}-{fingerprint(config=config.path)}"
    model = BENCH_DIR / f"{name}.tar.gz"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with training_lock(settings):
        if model.exists():
            print(f"{config.title}: cached model {model.name}", flush=True)
            return trained_model(config, model, trained_now=False)
        older = sorted(BENCH_DIR.glob(f"{config.prefix}-*.tar.gz"), key=lambda p: p.stat().st_mtime)
        if reuse_stale and older:
            print(f"{config.title}: reusing {older[-1].name} (its inputs changed)", flush=True)
            return trained_model(config, older[-1], trained_now=False, stale=True)
        print(f"{config.title}: training {model.name} from {config.path}...", flush=True)
        seconds = train(settings, name, config.path, BENCH_DIR)
        sidecar(model).write_text(json.dumps({"config": config.path, "train_seconds": seconds}))
        for old in older:
            old.unlink(missing_ok=True)
            sidecar(old).unlink(missing_ok=True)
    return trained_model(config, model, trained_now=True)


def sidecar(model: Path) -> Path:
    """Where the training time of a cached model is kept."""
    return model.with_name(model.name.removesuffix(".tar.gz") + ".json")


def trained_model(
    config: Config, model: Path, trained_now: bool, stale: bool = False
) -> TrainedModel:
    """Read the training time and the untrained components of a model archive."""
    info = json.loads(sidecar(model).read_text()) if sidecar(model).exists() else {}
    return TrainedModel(
        config,
        model,
        info.get("train_seconds"),
        trained_now,
        stale,
        untrained_components(config, model),
    )


def untrained_components(config: Config, model: Path) -> tuple[str, ...]:
    """The learning components of `config` that Rasa skipped for want of training data.

    A network (DIET, ResponseSelector, TED, UnexpecTED) that trained persists its weights
    (`*.tf_model.index`); a MemoizationPolicy that learned anything has a non-empty lookup.
    """
    with tarfile.open(model, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        memorized = [archive.extractfile(m) for m in members if m.name.endswith(MEMORIZED)]
        lookups = [json.load(handle).get("lookup") for handle in memorized if handle]
    files = [m.name.lstrip("/") for m in members]
    return tuple(name for name in configured(config) if not learned(name, files, lookups))


def learned(name: str, files: Sequence[str], lookups: Sequence[Any]) -> bool:
    """Whether a component or policy persisted something it learned (others: assume so)."""
    if name == "MemoizationPolicy":
        return any(lookups)
    if name in NETWORKS:
        pattern = re.compile(rf"components/train_{name}\d+/.*\.tf_model\.index$")
        return any(pattern.match(path) for path in files)
    return True


def configured(config: Config) -> list[str]:
    """The names of the components and policies of a configuration file."""
    data = yaml.safe_load((ROOT / config.path).read_text()) or {}
    return [str(e["name"]) for key in ("pipeline", "policies") for e in data.get(key) or []]


# --- serving ----------------------------------------------------------------------


class RasaModel(RasaAlone):
    """Rasa's REST webhook serving one model; a reply without text shows the bot failed."""

    def __init__(self, base_url: str, name: str) -> None:
        super().__init__(base_url)
        self.name = name

    def classify(self, texts: tuple[str, ...]) -> str:
        """Empty when Rasa answered 200 without any text: the bot failed to reply."""
        return "ok" if any(text.strip() for text in texts) else "empty"


@dataclass(frozen=True)
class Level:
    """One model at one concurrency: latency, throughput, failures, CPU per message."""

    stats: Stats
    empty: int


@dataclass
class Served:
    """What one model did under load."""

    model: TrainedModel
    levels: dict[int, Level] = field(default_factory=dict)
    warm_up: list[Answer] = field(default_factory=list)
    parse: ParseStats | None = None
    rss: int = 0
    load_seconds: float = 0.0


@dataclass(frozen=True)
class ParseStats:
    """Understanding alone: Rasa's /model/parse, one message at a time."""

    parsed: int
    failed: int
    median_ms: float
    cpu_ms: float  # Rasa's CPU time per parsed message


async def parse_alone(
    session: aiohttp.ClientSession, settings: Settings, seconds: float, processes: Processes
) -> ParseStats:
    """Parse the scripts' messages in a loop for `seconds`: the NLU share of a message's cost."""
    texts = itertools.cycle([text for script in SCRIPTS for text in script.messages])
    url = f"{settings.rasa_url}/model/parse"
    params = {"token": settings.rasa_token.get_secret_value()}
    latencies, failed = [], 0
    cpu_before = processes.cpu_seconds()["rasa"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            async with session.post(url, params=params, json={"text": next(texts)}) as response:
                await response.read()
                ok = response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            ok = False
        if ok:
            latencies.append(time.perf_counter() - started)
        failed += not ok
    cpu = processes.cpu_seconds()["rasa"] - cpu_before
    return ParseStats(
        parsed=len(latencies),
        failed=failed,
        median_ms=1000 * statistics.median(latencies) if latencies else float("nan"),
        cpu_ms=1000 * cpu / max(len(latencies), 1),
    )


def brain_pids(children: Sequence[Child]) -> dict[str, int]:
    """Process ids of the Rasa server and the action server."""
    return {child.spec.name: child.process.pid for child in children if child.process}


async def serve_and_measure(
    model: TrainedModel, options: argparse.Namespace, conversations: Conversations
) -> Served:
    """Start the brain with `model`, warm it up, measure every level, stop it."""
    settings = brain_settings()  # fresh ports for each model
    served = Served(model)
    print(f"{model.config.title}: starting Rasa ({model.path.name}) and the action server...")
    started = time.monotonic()
    async with running_brain(settings, model.path) as children:
        served.load_seconds = time.monotonic() - started
        processes = Processes(brain_pids(children))
        target = RasaModel(settings.rasa_url, model.config.label)
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
            served.warm_up = (await warm_up(session, [target], conversations))[target.name]
            served.parse = await parse_alone(session, settings, parse_seconds(options), processes)
            print(f"  {model.config.label:<8} parse alone: {parse_progress(served.parse)}")
            for level in options.levels:
                window = await run_window(
                    session, target, level, options.seconds, conversations, processes
                )
                served.levels[level] = summarise(window)
                print(f"  {model.config.label:<8} c={level:<3} {progress(served.levels[level])}")
                await asyncio.sleep(SETTLE_SECONDS)
        served.rss = processes.rss().get("rasa", 0)
    return served


def parse_seconds(options: argparse.Namespace) -> float:
    """How long to measure parsing alone: a quarter of a load window."""
    return options.seconds / 4


def parse_progress(parse: ParseStats) -> str:
    """One line about the parse-only measurement."""
    return (
        f"{parse.parsed} parsed, {parse.failed} failed, median {parse.median_ms:.1f} ms, "
        f"rasa CPU {parse.cpu_ms:.1f} ms/parse"
    )


def summarise(window: Window) -> Level:
    """Stats of one window, plus the replies without text."""
    stats = Stats.of(window.target, window.level, [window])
    return Level(stats, sum(a.outcome == "empty" for a in window.answers))


def progress(level: Level) -> str:
    """One line about a finished measurement."""
    s = level.stats
    return (
        f"{s.answered:>5} answers  {s.throughput:6.1f} msg/s  median {s.median_ms:7.1f} ms  "
        f"p95 {s.p95_ms:7.1f} ms  errors {s.errors}  empty {level.empty}  "
        f"rasa CPU {s.cpu_ms.get('rasa', float('nan')):.1f} ms/msg"
    )


# --- accuracy ---------------------------------------------------------------------


class AccuracyError(RuntimeError):
    """`rasa test` failed; the message holds the end of its output."""


@dataclass(frozen=True)
class NluScore:
    """Rasa's intent report on the held-out set: macro-F1 and accuracy over its messages."""

    macro_f1: float
    accuracy: float
    messages: int


@dataclass(frozen=True)
class StoryScore:
    """`rasa test core` on the dialogue test stories."""

    failed: int
    total: int


def rasa_test(settings: Settings, arguments: list[str], out: Path) -> None:
    """`rasa test ...` in the brain environment, its output in out/rasa.log."""
    command = [str(rasa_executable(settings)), "test", *arguments, "--out", str(out)]
    out.mkdir(parents=True, exist_ok=True)
    log = out / "rasa.log"
    with log.open("w") as output:
        process = subprocess.run(
            command, cwd=ROOT, env=brain_env(), stdout=output, stderr=subprocess.STDOUT
        )
    if process.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise AccuracyError(f"`{shlex.join(command)}` failed ({process.returncode}):\n{tail}")


def nlu_score(settings: Settings, model: Path, out: Path) -> NluScore:
    """`rasa test nlu` on every file of tests/nlu/, read from its intent_report.json.

    Every held-out message counts, as Rasa reads it; nlu_fallback is a wrong answer.
    """
    print(f"  rasa test nlu ({model.name})...", flush=True)
    arguments = ["nlu", "--nlu", str(NLU_TEST_DIR.relative_to(ROOT)), "--model", str(model)]
    rasa_test(settings, [*arguments, "--no-plot"], out)
    report = json.loads((out / "intent_report.json").read_text())
    macro = report["macro avg"]
    return NluScore(
        macro_f1=float(macro["f1-score"]),
        accuracy=float(report.get("accuracy", float("nan"))),
        messages=int(macro["support"]),
    )


def story_score(settings: Settings, model: Path, out: Path) -> StoryScore:
    """Failed dialogue test stories: a wrong intent or next action fails a story."""
    print(f"  rasa test core ({model.name})...", flush=True)
    arguments = ["core", "--stories", str(STORIES_DIR.relative_to(ROOT)), "--model", str(model)]
    rasa_test(settings, [*arguments, "--no-plot"], out)
    report = json.loads((out / "story_report.json").read_text())
    conversations = report.get("conversation_accuracy") or {}
    total = int(conversations.get("total", 0))
    return StoryScore(failed=total - int(conversations.get("correct", 0)), total=total)


@dataclass
class Accuracy:
    """The accuracy figures of one model (None: not measured)."""

    nlu: NluScore | None = None
    stories: StoryScore | None = None


def accuracy(settings: Settings, model: TrainedModel, out: Path) -> Accuracy:
    """Held-out NLU and dialogue test stories, whichever exist."""
    result = Accuracy()
    print(f"{model.config.title}: accuracy...", flush=True)
    if NLU_TEST_DIR.is_dir():
        result.nlu = nlu_score(settings, model.path, out / "nlu")
    if STORIES_DIR.is_dir():
        result.stories = story_score(settings, model.path, out / "stories")
    return result


# --- verdict ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The goal: >= 2.5 x the default's throughput at 50 conversations, no loss of accuracy."""

    level: int
    ratio: float
    misses: tuple[str, ...]
    unmeasured: tuple[str, ...]

    def __str__(self) -> str:
        if self.misses:
            return f"**MISS** ({'; '.join(self.misses)})"
        suffix = f" ({', '.join(self.unmeasured)} not measured)" if self.unmeasured else ""
        return f"**PASS**{suffix}"


def judge(served: dict[str, Served], scores: dict[str, Accuracy], level: int) -> Verdict:
    """Compare Loket's configuration with the default against the goal."""
    lean, default = served[LOKET.label].levels[level], served[DEFAULT.label].levels[level]
    ratio = lean.stats.throughput / default.stats.throughput if default.stats.throughput else 0.0
    misses = [f"throughput x{ratio:.2f} < x{THROUGHPUT_GOAL:g}"] if ratio < THROUGHPUT_GOAL else []
    unmeasured = []
    nlu_lean, nlu_default = scores[LOKET.label].nlu, scores[DEFAULT.label].nlu
    if nlu_lean and nlu_default:
        if round(nlu_lean.macro_f1, 3) < round(nlu_default.macro_f1, 3):
            misses.append(f"macro-F1 {nlu_lean.macro_f1:.3f} < {nlu_default.macro_f1:.3f}")
    else:
        unmeasured.append("NLU accuracy")
    stories_lean, stories_default = scores[LOKET.label].stories, scores[DEFAULT.label].stories
    if stories_lean and stories_default:
        if stories_lean.failed > stories_default.failed:
            misses.append(f"{stories_lean.failed} failed stories > {stories_default.failed}")
    else:
        unmeasured.append("dialogue stories")
    return Verdict(level, ratio, tuple(misses), tuple(unmeasured))


# --- report -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Everything the report says."""

    served: dict[str, Served]
    scores: dict[str, Accuracy]
    verdict: Verdict
    machine: dict[str, str]
    command: str
    date: str
    options: argparse.Namespace
    train_wall: float
    measure_wall: float


def fmt(value: float | None, digits: int = 1) -> str:
    """A figure, or n/a."""
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"


def main_table(run: Run) -> list[str]:
    """Configuration, training time, throughput and latency per level, accuracy."""
    levels = run.options.levels
    head = ["configuration", "training (s)"]
    head += [f"msg/s at {n}" for n in levels]
    head += [f"median / p95 at {n} (ms)" for n in levels]
    head += ["intent macro-F1 / accuracy", "failed stories"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for config in CONFIGS:
        served, score = run.served[config.label], run.scores[config.label]
        cells = [f"{config.title} (`{config.path}`)", fmt(served.model.train_seconds, 0)]
        cells += [fmt(served.levels[n].stats.throughput) for n in levels]
        cells += [
            f"{fmt(served.levels[n].stats.median_ms)} / {fmt(served.levels[n].stats.p95_ms)}"
            for n in levels
        ]
        nlu, stories = score.nlu, score.stories
        cells.append(f"{nlu.macro_f1:.3f} / {nlu.accuracy:.3f}" if nlu else "n/a")
        cells.append(f"{stories.failed} of {stories.total}" if stories else "n/a")
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def detail_table(run: Run) -> list[str]:
    """Answers, failures and Rasa's CPU time per message at each level."""
    rows = [
        "| configuration | concurrency | answers | errors | empty replies "
        "| Rasa CPU per message (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for config in CONFIGS:
        for n, level in run.served[config.label].levels.items():
            s = level.stats
            rows.append(
                f"| {config.title} | {n} | {s.answered} | {s.errors} | {level.empty} "
                f"| {fmt(s.cpu_ms.get('rasa'))} |"
            )
    return rows


def model_table(run: Run) -> list[str]:
    """Per model: start-up, understanding alone, memory."""
    rows = [
        "| configuration | Rasa start-up (s) | parse alone: median (ms) "
        "| parse alone: Rasa CPU (ms) | Rasa RSS after the run (MiB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for config in CONFIGS:
        served, parse = run.served[config.label], run.served[config.label].parse
        rows.append(
            f"| {config.title} | {served.load_seconds:.0f} "
            f"| {fmt(parse.median_ms if parse else None)} | {fmt(parse.cpu_ms if parse else None)} "
            f"| {served.rss / 2**20:.0f} |"
        )
    return rows


def cost_line(run: Run) -> str:
    """How much of Rasa's CPU time per message goes to understanding, per model."""
    level = min(run.options.levels)
    parts = []
    for config in CONFIGS:
        served = run.served[config.label]
        total, parse = served.levels[level].stats.cpu_ms.get("rasa"), served.parse
        if total and parse:
            parts.append(
                f"{config.title} {total:.1f} ms per message, of which parsing "
                f"{parse.cpu_ms:.1f} ms ({parse.cpu_ms / total:.0%})"
            )
    return (
        f"Where Rasa's CPU time goes at {level} conversation(s): "
        + "; ".join(parts)
        + ". The rest is the dialogue loop: tracker, policies, the call to the action "
        "server and the events it returns. Parse alone: Rasa's `/model/parse` on the same "
        f"messages, one at a time, {parse_seconds(run.options):g} s per model."
    )


def accuracy_line(run: Run) -> str:
    """What the accuracy figures are."""
    nlu = run.scores[LOKET.label].nlu
    stories = run.scores[LOKET.label].stories
    parts = [
        f"Intent macro-F1 and accuracy: `rasa test nlu --nlu tests/nlu` on the {nlu.messages} "
        "held-out messages, from Rasa's intent_report.json (every message counts; "
        "nlu_fallback is a wrong answer, so these are stricter than docs/nlu-report.md)."
        if nlu
        else "No held-out NLU set (tests/nlu/), or --skip-accuracy: macro-F1 not measured."
    ]
    parts.append(
        f"Failed stories: `rasa test core --stories tests/stories` ({stories.total} "
        "stories): a story fails at its first wrong intent or next action."
        if stories
        else "No dialogue test stories (tests/stories/): not measured."
    )
    return " ".join(parts)


def scripted_line(run: Run) -> str:
    """Do both models answer the benchmark's conversations the same way?"""
    lean, default = run.served[LOKET.label].warm_up, run.served[DEFAULT.label].warm_up
    same = sum(a.texts == b.texts for a, b in zip(lean, default, strict=False))
    failed = {c.title: sum(a.outcome != "ok" for a in run.served[c.label].warm_up) for c in CONFIGS}
    return (
        f"On the {len(lean)} turns of the scripted conversations (played once, unmeasured, "
        f"before the load), both models gave the same replies at {same} turns; turns "
        "without a reply: " + ", ".join(f"{t} {n}" for t, n in failed.items()) + "."
    )


def pipeline_summary(path: str) -> str:
    """The components and policies of a configuration file, with their options."""
    data = yaml.safe_load((ROOT / path).read_text()) or {}

    def item(entry: dict[str, Any]) -> str:
        options = ", ".join(f"{k} {v}" for k, v in entry.items() if k != "name")
        return f"{entry['name']} ({options})" if options else str(entry["name"])

    pipeline = "; ".join(item(e) for e in data.get("pipeline") or [])
    policies = "; ".join(item(e) for e in data.get("policies") or [])
    return f"pipeline {pipeline}. Policies: {policies}"


def untrained_line(run: Run) -> str:
    """Which parts of the models Rasa did not train, for want of data."""
    parts = [
        f"{c.title}: {', '.join(run.served[c.label].model.untrained)}"
        for c in CONFIGS
        if run.served[c.label].model.untrained
    ]
    if not parts:
        return "Every component and policy of both models was trained."
    return (
        "Rasa skipped training (no data for them: Loket's dialogue data is rules only, no "
        "stories and no retrieval intents), so they predict nothing and cost next to "
        "nothing per turn: " + "; ".join(parts) + "."
    )


def why_paragraph(run: Run) -> str:
    """Why the lean configuration is cheaper, true to this run's configurations and models."""
    lean, default = policies(LOKET), policies(DEFAULT)
    if "TEDPolicy" in run.served[DEFAULT.label].model.untrained:
        ted = (
            "On this data TEDPolicy and UnexpecTEDIntentPolicy have no stories to learn "
            "from, so they answer a default guess at little cost: what the default "
            f"configuration still pays for is its {len(default)} policies consulted at "
            f"every prediction instead of {len(lean)}, and above all its understanding "
            "pipeline (DIET with Rasa's default two-layer transformer, character n-grams "
            "from 1 to 4: see the configurations below)."
        )
    else:
        ted = (
            f"The default configuration consults {len(default)} policies at every "
            "prediction: the two TED networks featurize the last five turns of the tracker "
            "and run a transformer each time."
        )
    rules_only = (
        "Loket's only policy is RulePolicy"
        if lean == ["RulePolicy"]
        else f"Loket's policies are {', '.join(lean)}"
    )
    return (
        "Why Loket's configuration is cheaper. After parsing a message, Rasa asks every "
        "policy for the next action, and asks again after each action until one predicts "
        "action_listen: a Loket turn is intent, one action, listen, so two predictions per "
        f"message. {rules_only}: every turn is an `intent -> action` rule "
        "(nlu/rules.yml), a lookup whose cost does not grow with the conversation, because "
        "the step-by-step state (language, procedure, step) lives in slots set by the "
        f"actions, not in dialogue history that a model has to read. {ted} Sessions expire "
        f"after {session_minutes()} minutes of inactivity and carry the slots over "
        "(domain.yml), so a tracker, which Rasa rebuilds from all its events on every "
        "message, stays short; the benchmark starts a new conversation id for every script "
        "anyway.\n\n"
        "What both configurations share, and what it cost. Rasa checks every answer of the "
        "action server with `jsonschema.validate`, which re-validates Rasa's own schema "
        "against the JSON Schema meta-schema each time. With jsonschema 4.17 (draft 2020-12 "
        "meta-schema) that took 14.8 ms per custom action on this machine; with 3.2.0, which "
        "Rasa 3.6 accepts (>=3.2,<4.18), 1.8 ms. requirements/brain.lock pins 3.2.0: both "
        "configurations answer about twice as many messages per second as with 4.17 "
        "(Loket's config at 50 conversations: 37.0 msg/s before, on 2026-11-30 08:46 UTC). "
        "Every Loket turn runs a custom action, so this was the largest cost of a message "
        "after understanding it."
    )


def policies(config: Config) -> list[str]:
    """The policy names of a configuration file."""
    data = yaml.safe_load((ROOT / config.path).read_text()) or {}
    return [str(e["name"]) for e in data.get("policies") or []]


def session_minutes() -> str:
    """domain.yml's session expiration time, in minutes."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text()) or {}
    return str((domain.get("session_config") or {}).get("session_expiration_time", "?"))


def missing_custom_components() -> list[str]:
    """Custom components (module paths) of config.yml that the default configuration lacks."""
    default = set(configured(DEFAULT))
    return [name for name in configured(LOKET) if "." in name and name not in default]


def notes(run: Run) -> list[str]:
    """Stale models, missing custom components."""
    lines = [
        f"- WARNING: config.yml uses `{name}`, which `{DEFAULT.path}` lacks: the models do "
        "not extract the same entities."
        for name in missing_custom_components()
    ]
    for c in CONFIGS:
        if run.served[c.label].model.stale:
            lines.append(
                f"- The {c.title} model was reused with --skip-train-default although the "
                "domain or training data changed since: the models did not see the same data."
            )
    return lines


def render(run: Run) -> str:
    """The dialogue configuration section of docs/benchmarks.md."""
    o, v = run.options, run.verdict
    lean, default = (run.served[c.label].levels[v.level].stats for c in (LOKET, DEFAULT))
    lines = [
        "## Dialogue configuration: Loket's config.yml vs Rasa's default",
        "",
        "What Loket's lean configuration (config.yml, whose comments say why) saves: "
        "the same domain, "
        "training data, action server and scripted conversations (the web chat "
        "benchmark's FR, NL, EN scripts) with Rasa's default configuration "
        "(`benchmarks/rasa_default_config.yml`, copied from Rasa 3.6.21) and with Loket's "
        "`config.yml`, one model after the other in one run, sent straight to Rasa's REST "
        "webhook (no hub). Closed loop: each virtual user sends its next message only after "
        f"the answer; a new conversation id per script; {o.seconds:g} s per model and "
        "concurrency after one unmeasured conversation per script. Latency is over "
        "answered messages; throughput counts the answers completed within the window. "
        "Errors are failed requests; empty replies are answers without any text.",
        "",
        f"Measured {run.date}; wall time {run.train_wall:.0f} s getting the models (training "
        f"times below; cached models are reused), {run.measure_wall:.0f} s measuring "
        "(serving both models, accuracy):",
        "",
        f"    {run.command}",
        "",
        *main_table(run),
        "",
        accuracy_line(run),
        "",
        f"Goal: at least {THROUGHPUT_GOAL:g} times the default's throughput at "
        f"{GOAL_LEVEL} conversations with no loss of accuracy (macro-F1 not lower, no more "
        f"failed stories). At {v.level} conversations Loket answers {lean.throughput:.1f} "
        f"msg/s, the default {default.throughput:.1f}: x{v.ratio:.2f}. {v}",
        "",
        *detail_table(run),
        "",
        *model_table(run),
        "",
        cost_line(run),
        "",
        scripted_line(run),
        "",
        untrained_line(run),
        "",
        why_paragraph(run),
        "",
        "The configurations:",
        "",
        *(f"- {c.title}: {pipeline_summary(c.path)}." for c in CONFIGS),
        *notes(run),
        "",
        "Machine:",
        "",
        *(f"- {key}: {value}" for key, value in run.machine.items()),
    ]
    return "\n".join(map(wrap_prose, lines))


# --- main -------------------------------------------------------------------------


async def serve_all(
    models: dict[str, TrainedModel], options: argparse.Namespace
) -> dict[str, Served]:
    """Each model in turn under load; only one brain runs at a time."""
    conversations = Conversations()
    return {
        c.label: await serve_and_measure(models[c.label], options, conversations) for c in CONFIGS
    }


def measure_accuracy(
    settings: Settings, models: dict[str, TrainedModel], skip: bool
) -> dict[str, Accuracy]:
    """Held-out NLU and dialogue stories for each model (empty figures with --skip-accuracy)."""
    if skip:
        return {c.label: Accuracy() for c in CONFIGS}
    with tempfile.TemporaryDirectory(prefix="loket-bench-accuracy-") as out:
        return {c.label: accuracy(settings, models[c.label], Path(out) / c.label) for c in CONFIGS}


def benchmark(options: argparse.Namespace) -> Run:
    """Train (or reuse), serve and measure, evaluate; stops every process whatever happens."""
    settings = brain_settings()
    for name in missing_custom_components():
        print(f"WARNING: {DEFAULT.path} lacks config.yml's custom component {name}")
    load_before = load_average()
    began = time.monotonic()
    models = {
        c.label: ensure_bench_model(settings, c, options.skip_train_default and c is DEFAULT)
        for c in (LOKET, DEFAULT)
    }
    trained = time.monotonic()
    served = asyncio.run(serve_all(models, options))
    scores = measure_accuracy(settings, models, options.skip_accuracy)
    level = GOAL_LEVEL if GOAL_LEVEL in options.levels else max(options.levels)
    return Run(
        served=served,
        scores=scores,
        verdict=judge(served, scores, level),
        machine=machine(settings)
        | {
            "load average (1, 5, 15 min) before starting": load_before,
            "load average at the end (includes this benchmark)": load_average(),
        },
        command=options.command,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        options=options,
        train_wall=trained - began,
        measure_wall=time.monotonic() - trained,
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.dialogue_config", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--seconds", type=float, default=60.0,
        help="measured seconds per model and concurrency level (default 60)",
    )  # fmt: skip
    parser.add_argument(
        "--levels", type=int, nargs="+", default=[1, GOAL_LEVEL],
        help=f"concurrent conversations to measure (default: 1 {GOAL_LEVEL})",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "benchmarks.md",
        help="the Markdown file whose dialogue_config section is rewritten",
    )  # fmt: skip
    parser.add_argument(
        "--skip-train-default", action="store_true",
        help="do not retrain the default model when the domain or data changed: reuse the "
        "newest one in models/bench/ (the report says so)",
    )  # fmt: skip
    parser.add_argument(
        "--skip-accuracy", action="store_true",
        help="measure throughput and latency only (no NLU evaluation, no test stories)",
    )  # fmt: skip
    options = parser.parse_args(argv)
    if options.seconds <= 0 or min(options.levels) < 1:
        parser.error("--seconds and --levels must be positive")
    options.command = command_line("benchmarks.dialogue_config", argv)
    return options


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the section and write it to the document."""
    options = parse_args(argv)
    configure_logging("INFO")
    try:
        run = benchmark(options)
    except (BrainSetupError, AccuracyError) as error:
        print(f"The benchmark failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; every process was stopped.", file=sys.stderr)
        return 130
    section = render(run)
    update_document(options.out, section, SECTION)
    print(f"\n{section}\n\nWritten to {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
