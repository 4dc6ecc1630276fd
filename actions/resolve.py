"""Turn what the NLU found into catalogue objects. Pure Python, no Rasa.

- `find_commune`: a postcode ("1030") or a commune name into one of the communes of
  content/communes.yml. Names count in French, Dutch or English, whatever the accents,
  the case or the hyphens ("schaarbeek", "Elsene", "St-Gilles", "Molenbeek"). Common
  misspellings are the NLU's job (synonyms), not this module's.
- `ambiguous_procedures`: an intent ranking in which two or three procedures are about
  as likely, so the bot asks which one instead of saying "I did not understand".
- `find_case`: another case of a procedure that a follow-up names ("and if it was
  stolen?", "et si je ne suis pas belge ?"), from the procedure's `cases`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._catalogue.glossary import normalise
from .catalogue import LANGUAGES, Case, Catalogue, Commune, Procedure

# What a person said about where they live (Place.kind).
FOUND = "found"
"""One commune: `commune` is set, and `postcode` when it was found by postcode."""
OUTSIDE = "outside"
"""A postcode that is not one of the Brussels communes (1300, 9000): `postcode` is set."""
UNKNOWN = "unknown"
"""A name that is no Brussels commune (Namur, Liège)."""
UNSURE = "unsure"
"""Nothing usable, "Brussels" (the region or the City?) or a name of two communes (Woluwe)."""

MIN_CONFIDENCE = 0.2
"""Least confidence for a procedure intent to be offered as a possible meaning."""
RANKED = 3
"""How many of the best intents are looked at."""

_SAINT = frozenset({"saint", "sainte", "sint", "st", "ste"})
"""Written "Saint" in French, "Sint" in Dutch, often "St" or "Ste": all the same word."""
_REGION = frozenset({"bruxelles", "brussel", "brussels", "bxl"})
"""Said alone, these mean the Region as often as the City of Brussels."""
_CITY = frozenset({"ville", "stad", "city", "centre", "center", "centrum"})
"""With a region word, these mean the City of Brussels: "Bruxelles-Ville", "Brussel-Stad"."""
_FILLER = frozenset({"saint", "ten", "de", "of", "the", "la", "le"})
"""Words of commune names that say nothing alone."""
_WEAK = _FILLER | _CITY | {"jean", "jans", "pierre", "pieters", "lambert", "lambrechts", "agatha"}
"""Parts of names that are also first names or common words: a free text that only
contains one of them names no commune ("Pierre" is a person, "city" is any city)."""
_POSTCODE = re.compile(r"(?<!\d)(\d{4})(?!\d)")


@dataclass(frozen=True)
class Place:
    """What the person said about where they live: a kind (FOUND, OUTSIDE, UNKNOWN,
    UNSURE), the commune when found, and the postcode when one was given."""

    kind: str
    commune: Commune | None = None
    postcode: str | None = None


def words(text: str) -> tuple[str, ...]:
    """Lowercase words without accents, "saint" for Saint/Sint/St: "St-Josse" -> (saint, josse)."""
    plain = normalise(text)
    return tuple("saint" if w in _SAINT else w for w in re.findall(r"[a-z0-9]+", plain))


def postcode_in(text: str | None) -> str | None:
    """Return the first group of exactly 4 digits in `text` ("B-1030" -> "1030"), or None."""
    match = _POSTCODE.search(text or "")
    return match.group(1) if match else None


def find_commune(
    communes: Sequence[Commune],
    postcode: str | None = None,
    commune: str | None = None,
    text: str | None = None,
    said: str | None = None,
) -> Place:
    """Find the person's commune from the NLU's entities, else from the message `text`.

    `postcode` and `commune` are the values of the entities of those names. The NLU's
    synonyms may have turned the words said into a commune id ("ixel" -> "ixelles",
    "laeken" -> "bruxelles"): `said` is then the words themselves (the entity's span
    of the text). The words are looked up first, then the id: so "bruxelles" said
    alone stays unsure (the Region or the City?) even though it is the City's id.

    A name that names one commune wins over a postcode: for 1040 and 1050 the street
    decides, and a person knows the name of their commune. A postcode wins over an
    unsure name ("Bruxelles 1030" is Schaerbeek).
    """
    said = said if said and said.strip() else commune
    code = postcode_in(postcode) or postcode_in(said)
    by_name = _by_name(communes, words(said)) if said and said.strip() else None
    mapped = commune is not None and said is not None and words(commune) != words(said)
    if mapped and (by_name is None or by_name.kind != FOUND):
        by_id = next((c for c in communes if c.id == commune), None)
        by_name = Place(FOUND, by_id) if by_id else by_name
    if by_name is not None and by_name.kind == FOUND:
        return by_name
    if code is not None:
        return _by_postcode(communes, code)
    if by_name is not None:
        return by_name
    code = postcode_in(text)
    if code is not None:
        return _by_postcode(communes, code)
    return _in_text(communes, words(text or ""))


def _by_postcode(communes: Sequence[Commune], code: str) -> Place:
    """The commune of a postcode, or OUTSIDE."""
    commune = next((c for c in communes if code in c.postcodes), None)
    return Place(FOUND, commune, code) if commune else Place(OUTSIDE, postcode=code)


def _variants(commune: Commune) -> set[tuple[str, ...]]:
    """The commune's names in every language, as words."""
    return {words(commune.name.in_(lang)) for lang in LANGUAGES}


def _contains(longer: Sequence[str], run: Sequence[str]) -> bool:
    """Whether `run` appears in `longer` as consecutive words."""
    size = len(run)
    return any(tuple(longer[i : i + size]) == tuple(run) for i in range(len(longer) - size + 1))


def _one(found: Iterable[Commune]) -> Place | None:
    """FOUND for one commune, UNSURE for several, None for none."""
    unique = {commune.id: commune for commune in found}
    if len(unique) == 1:
        return Place(FOUND, next(iter(unique.values())))
    return Place(UNSURE) if unique else None


def _region(communes: Sequence[Commune], said: set[str]) -> Place | None:
    """ "Bruxelles" alone: UNSURE; "Bruxelles-Ville", "Stad Brussel": the City. None otherwise."""
    if not said & _REGION or said - _REGION - _CITY - _FILLER:
        return None
    if not said & _CITY:
        return Place(UNSURE)
    city = [c for c in communes if any(set(v) & _REGION for v in _variants(c))]
    return _one(city) or Place(UNSURE)


def _by_name(communes: Sequence[Commune], said: tuple[str, ...]) -> Place:
    """The commune a name (the NLU's `commune` entity) stands for."""
    if not said:
        return Place(UNSURE)
    region = _region(communes, set(said))
    if region is not None:
        return region
    exact = _one(c for c in communes if said in _variants(c))
    if exact is not None:
        return exact
    if not set(said) - _FILLER:
        return Place(UNKNOWN)
    # Part of a longer name: "Molenbeek", "Saint-Josse", "Sint-Pieters"; "Woluwe" is two.
    part = _one(c for c in communes if any(_contains(v, said) for v in _variants(c)))
    return part or Place(UNKNOWN)


def _in_text(communes: Sequence[Commune], said: tuple[str, ...]) -> Place:
    """The commune named somewhere in a message the NLU found no entity in."""
    whole = _one(
        c for c in communes for v in _variants(c) if not set(v) <= _REGION and _contains(said, v)
    )
    if whole is not None:
        return whole
    part = _one(c for c in communes for v in _variants(c) if (set(v) - _WEAK - _REGION) & set(said))
    if part is not None:
        return part
    region = _region(communes, set(said) & (_REGION | _CITY))
    if region is not None:
        return region
    return Place(UNSURE)


def ambiguous_procedures(
    catalogue: Catalogue, ranking: Iterable[Mapping[str, Any]]
) -> tuple[Procedure, ...]:
    """The procedures to ask about, or () when the ranking does not call for it.

    Looks at the RANKED best intents of the NLU's ranking (nlu_fallback left out); when
    two or three of them start a procedure with a confidence of at least
    MIN_CONFIDENCE, returns those procedures, best first.
    """
    entries = [
        entry
        for entry in ranking
        if isinstance(entry, Mapping)
        and entry.get("name") != "nlu_fallback"
        and isinstance(entry.get("confidence"), (int, float))
    ]
    entries.sort(key=lambda entry: -entry["confidence"])
    found: list[Procedure] = []
    for entry in entries[:RANKED]:
        procedure = catalogue.by_intent(entry.get("name"))
        if entry["confidence"] >= MIN_CONFIDENCE and procedure and procedure not in found:
            found.append(procedure)
    return tuple(found) if 2 <= len(found) <= RANKED else ()


def find_case(proc: Procedure, text: str) -> Case | None:
    """The first case of `proc` whose words `text` holds as whole words, in any language,
    ignoring case and accents; None if it names none."""
    said = words(text)
    for case in proc.cases:
        if any(_holds(said, words(phrase)) for phrase in case.words):
            return case
    return None


def _holds(said: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether the words `phrase` come one after the other in `said`."""
    size = len(phrase)
    return size > 0 and any(said[i : i + size] == phrase for i in range(len(said) - size + 1))
