"""Fixtures the unit tests of Loket's answers share: the real content catalogue."""

from __future__ import annotations

import pytest

from actions.catalogue import Catalogue, Procedure, load_catalogue
from tests.content import CONTENT


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    """content/ as the action server loads it (a module may put its own fixture first)."""
    return load_catalogue(CONTENT)


@pytest.fixture(scope="module")
def eid(cat: Catalogue) -> Procedure:
    """The lost identity card: six steps, all six sections, no related right."""
    return cat.procedures["lost-eid"]
