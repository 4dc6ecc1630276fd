"""The model is retrained exactly when something that shapes it changes."""

from __future__ import annotations

from pathlib import Path

from bot.training import fingerprint


def project(root: Path) -> Path:
    for name, text in {
        "config.yml": "pipeline: []\n",
        "domain.yml": "intents: [greet]\n",
        "requirements/brain.lock": "rasa==3.6.21\n",
        "nlu/fr.yml": "nlu: []\n",
        "nlu/components/communes.py": "X = 1\n",
        "nlu/evaluate.py": "Y = 1\n",
        "nlu/evaluation/report.py": "Z = 1\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_training_data_and_components_change_the_fingerprint(tmp_path: Path):
    root = project(tmp_path)
    before = fingerprint(root)
    (root / "nlu/fr.yml").write_text("nlu: [x]\n")
    after_data = fingerprint(root)
    (root / "nlu/components/communes.py").write_text("X = 2\n")
    assert len({before, after_data, fingerprint(root)}) == 3


def test_tools_and_bytecode_beside_the_data_do_not(tmp_path: Path):
    root = project(tmp_path)
    before = fingerprint(root)
    (root / "nlu/evaluate.py").write_text("Y = 2\n")
    (root / "nlu/evaluation/report.py").write_text("Z = 2\n")
    (root / "nlu/components/__pycache__").mkdir()
    (root / "nlu/components/__pycache__/communes.cpython-310.pyc").write_bytes(b"\0")
    assert fingerprint(root) == before
