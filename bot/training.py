"""Train the Rasa model only when its inputs changed.

A model's name carries a fingerprint of everything that shapes it (pipeline, domain,
training data, the brain's locked dependencies), so `loket run`, the test suite and
the benchmarks share one trained model until one of those files changes.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.settings import ROOT, Settings

log = logging.getLogger(__name__)
DATA_INPUTS = ("domain.yml", "nlu", "requirements/brain.lock")  # all but the configuration
MODEL_INPUTS = ("config.yml", *DATA_INPUTS)


class BrainSetupError(RuntimeError):
    """The brain cannot be prepared; the message says what is missing and how to get it."""


def brain_env(root: Path = ROOT) -> dict[str, str]:
    """Environment for every Rasa process: no telemetry, no error reports sent anywhere.

    `root` is the project whose custom components and actions Rasa imports.
    """
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "SANIC_HOST": "127.0.0.1",  # the action server listens on localhost only
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
        # Custom NLU components (nlu/) and actions (actions/) import from the project root.
        "PYTHONPATH": str(root),
    }


def fingerprint(root: Path = ROOT, config: str = "config.yml") -> str:
    """A short hash of every file that shapes the model trained from `config`."""
    digest = hashlib.sha256()
    for name in (config, *DATA_INPUTS):
        path = root / name
        files = sorted(p for p in path.rglob("*") if _source(p)) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _source(path: Path) -> bool:
    """A file of nlu/ that shapes the model: training data and custom components.

    Not the tools beside them (nlu/evaluate.py, nlu/evaluation/), nor Python's bytecode
    cache, which any import rewrites.
    """
    shapes = path.suffix in (".yml", ".yaml") or "components" in path.parts
    return path.is_file() and shapes and "__pycache__" not in path.parts


def rasa_executable(settings: Settings) -> Path:
    """The `rasa` command of the brain environment, or a clear error."""
    rasa = settings.brain_venv / "bin" / "rasa"
    if not rasa.exists():
        raise BrainSetupError(
            f"The brain environment is missing ({rasa} not found). "
            "Run `make run` or `scripts/bootstrap` to create it (needs Python 3.10)."
        )
    return rasa


def ensure_model(settings: Settings, force: bool = False) -> Path:
    """The path of an up-to-date model, training one first if needed."""
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    name = f"loket-{fingerprint()}"
    model = settings.models_dir / f"{name}.tar.gz"
    with training_lock(settings):
        if model.exists() and not force:
            log.info("Rasa model is up to date: %s", model.name)
            return model
        train(settings, name)
        _remove_other_models(settings.models_dir, keep=model)
    return model


def train(
    settings: Settings,
    name: str,
    config: str = "config.yml",
    out: Path | None = None,
    root: Path = ROOT,
) -> float:
    """Train `out/name.tar.gz` (default: the models folder) from `config`; seconds it took.

    `root` is the project trained: its domain and nlu/ (another commit's, to compare).
    The caller holds `training_lock`.
    """
    log.info("Training the Rasa model %s (its inputs changed); this takes a minute or two", name)
    started = time.monotonic()
    command = [
        str(rasa_executable(settings)),
        "train",
        "--config", config,
        "--domain", "domain.yml",
        "--data", "nlu",
        "--out", str(out or settings.models_dir),
        "--fixed-model-name", name,
    ]  # fmt: skip
    # Rasa's output goes straight to the terminal: its progress bars show as they move.
    process = subprocess.run(command, cwd=root, env=brain_env(root), check=False)
    if process.returncode != 0:
        raise BrainSetupError(f"Training failed (exit code {process.returncode}); see above.")
    seconds = time.monotonic() - started
    log.info("Model trained in %.0f s", seconds)
    return seconds


def _remove_other_models(models_dir: Path, keep: Path) -> None:
    for old in models_dir.glob("loket-*.tar.gz"):
        if old != keep:
            old.unlink(missing_ok=True)


@contextmanager
def training_lock(settings: Settings) -> Iterator[None]:
    """The lock every training takes (`loket run`, tests, benchmarks): one at a time."""
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(settings.models_dir / ".train.lock"):
        yield


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One training at a time, even across `make run` and `make test`."""
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
