"""CommuneEntityExtractor: the 19 Brussels communes and their postcodes, found with spaCy.

Adds two entities to every message, whatever the intent:

- `commune`, valued with the commune id of content/communes.yml ("schaerbeek"), for a
  name in French, Dutch or English, written any way callers write it: without accents
  or hyphens, "St-Gilles", "Sint Gillis", "schaarbeek", "molenbeek", "Elsene", a part
  that names one commune ("Boitsfort", "Laeken" is the City of Brussels), common
  misspellings, and a close spelling of a long name ("anderlegt"). "Bruxelles",
  "Brussel" or "Brussels" alone is never tagged: it names the Region as often as the
  City of Brussels ("Bruxelles-Ville", "Stad Brussel" and "City of Brussels" are).
  "Woluwe" alone names two communes and is not tagged either.
- `postcode`, valued with its four digits ("1030"), for a postcode of
  content/communes.yml written in digits ("1030", "B-1030") or, as a phone line's
  speech recogniser writes it, in words ("mille trente", "duizend dertig",
  "ten thirty").

How: the message is folded (lowercase, accents stripped, every non-alphanumeric
character a space; offsets kept), tokenised by a blank spaCy "xx" pipeline and
matched by a PhraseMatcher on the LOWER attribute. No language model is loaded.
The names are read from content/communes.yml each time the component is created
(training and loading), so the catalogue stays the one source and the component
needs no training.

Merging with DIETClassifier, which learns the same entities from the annotated
examples: this component runs after it and EntitySynonymMapper, puts its own entities
first (the actions read the first value), removes DIET's `commune`/`postcode`
entities that overlap one of its own (same place, canonical value here), and maps the
value of the others to a commune id when it can (DIET also tags misspellings this
component does not know).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from nlu.components.folding import fold

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_COMMUNES_FILE = ROOT / "content" / "communes.yml"

COMMUNE, POSTCODE = "commune", "postcode"

# "Saint" in French, "Sint" in Dutch, and their short forms: any of them may stand
# for any other ("Sint-Gilles" and "St Gillis" are heard as often as the real names).
_SAINT = ("saint", "st", "sint")
_SAINTE = ("sainte", "ste", "st", "saint", "sint")
_SAINT_WORDS = frozenset(_SAINT + _SAINTE)
# Parts of names that are also first names or small words: a part of a name made only
# of these (and "saint") names no commune ("Gilles" is a person, "Saint-Pierre" a
# hospital in the City of Brussels).
_WEAK = _SAINT_WORDS | {
    "ten", "jean", "jans", "pierre", "pieters", "lambert", "lambrechts",
    "agathe", "agatha", "gilles", "gillis", "josse", "joost", "noode", "node",
    "city", "of", "the", "ville", "de", "stad", "bruxelles", "brussel", "brussels",
}  # fmt: skip
# Runs of words that are unique to one commune but name something else more often.
_NOT_A_PART = frozenset({
    ("saint", "jean"), ("saint", "pierre"), ("sint", "pieters"), ("sint", "jans"),
    ("saint", "lambert"), ("sint", "lambrechts"),
})  # fmt: skip
# Other names callers use for a commune: sections of the City of Brussels, local
# abbreviations, frequent misspellings seen in written and transcribed messages.
EXTRA_NAMES: dict[str, list[str]] = {
    "bruxelles": [
        "bruxelles ville", "ville de bruxelles", "bruxelles centre", "centre de bruxelles",
        "bruxelles city", "bxl ville", "brussel stad", "stad brussel", "brussel centrum",
        "brussels city", "city of brussels", "brussels city centre", "brussels centre",
        "laeken", "laken", "neder over heembeek", "neder over hembeek", "haren",
    ],
    "schaerbeek": ["schaerbeck", "schaerbeeck", "schaerbek", "scharbeek", "schaarbeck",
                   "schaarbek", "scharbeck", "scharbek", "schaerbeke", "schaarbeke"],
    "etterbeek": ["etterbeck", "eterbeek", "etterbek", "etterbeke"],
    "ixelles": ["ixel", "ixelle", "ixels", "ixell", "ixele", "elsenne", "elzene", "elsen"],
    "saint-gilles": ["st gille", "saint gille", "sint gillis", "sint gilles"],
    "anderlecht": ["anderlech", "anderlect", "anderleht", "anderleckt", "andrelecht",
                   "anderlek", "anderlegt"],
    "molenbeek-saint-jean": ["molenbeek", "molenbek", "molembeek", "mollenbeek", "molenbeck",
                             "molenbeke", "molembek", "sint jan molenbeek"],
    "koekelberg": ["koekelbergh", "kokelberg", "koekelbergue", "koekelbeg", "koekelberch"],
    "berchem-sainte-agathe": ["berchem", "sint agatha berchem", "berchem saint agathe"],
    "ganshoren": ["gansoren", "ganshore", "ganshorem"],
    "jette": [],
    "evere": ["everre"],
    "woluwe-saint-pierre": ["wsp", "woluwe st pierre", "sint pieters woluwe"],
    "auderghem": ["audergem", "auderghen", "oderghem", "audergheim", "oudergem", "oudergen"],
    "watermael-boitsfort": ["watermael", "boitsfort", "boisfort", "boitfort", "watermaal",
                            "bosvoorde", "watermael bosvoorde"],
    "uccle": ["ucle", "uccel", "ukel", "uccles", "ukkle"],
    "forest": [],
    "woluwe-saint-lambert": ["wsl", "woluwe st lambert", "sint lambrechts woluwe"],
    "saint-josse-ten-noode": ["saint josse", "sint joost", "josse ten noode", "st josse ten node",
                              "saint josse ten node", "sint joost ten noode"],
}  # fmt: skip
# Names that are also ordinary words: not a commune after these words ("je la jette",
# "in the forest", "de vorst", "mijn haren"), nor where fuzzy matching could reach.
AMBIGUOUS: dict[str, frozenset] = {
    "jette": frozenset({"je", "j", "tu", "il", "elle", "on", "qui", "le", "la", "les", "me",
                        "te", "se", "ne", "l", "en", "y", "ca", "ça", "lui", "leur"}),
    "forest": frozenset({"the", "a", "rain", "black", "big", "dark", "green", "this",
                         "that", "old", "foret", "gump"}),
    "vorst": frozenset({"de", "het", "strenge", "nacht", "koning", "geen"}),
    "haren": frozenset({"mijn", "de", "je", "jouw", "zijn", "haar", "uw", "die", "lange",
                        "korte", "natte", "grijze", "van"}),
    "laken": frozenset({"het", "een", "de", "mijn", "bed", "onder", "witte", "die"}),
    "evere": frozenset(),
}  # fmt: skip
_FUZZY_MIN_LENGTH = 7
_FUZZY_CUTOFF = 0.84

# Postcodes in digits: "1030", "B-1030", "b1030"; not a price, a time or part of a number.
_POSTCODE_DIGITS = re.compile(
    r"(?<![\d.,:/€$])(?:b\s?-?\s?)?(1[0-2]\d\d)(?![\d])"
    r"(?!\s*(?:€|eur\b|euros?\b|e\b|balles\b|km\b|m2\b|m²|h\b|u\b|min\b|ans\b|jaar\b|years?\b))",
    re.IGNORECASE,
)
# Postcodes in words: not an amount of money nor a time of day.
_NOT_POSTCODE_AFTER = frozenset({
    "euro", "euros", "eur", "balles", "dollars", "frank", "frans",
    "am", "pm", "uur", "heures", "heure", "h", "o", "oclock",
})  # fmt: skip
_NOT_POSTCODE_BEFORE = frozenset({
    "at", "around", "about", "by", "until", "till", "from", "before", "after",
    "om", "rond", "tegen", "tot", "na", "vers",
})  # fmt: skip

# Numbers in words, as speech recognisers write postcodes.
_FR_UNITS = [
    "zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
    "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize",
]  # fmt: skip
_FR_TENS = {20: "vingt", 30: "trente", 40: "quarante", 50: "cinquante", 60: "soixante"}
_NL_UNITS = [
    "nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen",
    "tien", "elf", "twaalf", "dertien", "veertien", "vijftien", "zestien",
    "zeventien", "achttien", "negentien",
]  # fmt: skip
_NL_TENS = {
    20: "twintig", 30: "dertig", 40: "veertig", 50: "vijftig", 60: "zestig",
    70: "zeventig", 80: "tachtig", 90: "negentig",
}  # fmt: skip
_EN_UNITS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
    "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_EN_TENS = {
    20: "twenty", 30: "thirty", 40: "forty", 50: "fifty", 60: "sixty",
    70: "seventy", 80: "eighty", 90: "ninety",
}  # fmt: skip


def folded_words(text: str) -> tuple[str, ...]:
    """The words of `text`, folded: "Sint-Jans-Molenbeek" -> (sint, jans, molenbeek)."""
    return tuple(fold(text)[0].split())


def _fr_number(n: int) -> list[str]:
    """French words for 0-99, Belgian (septante, nonante) and French (soixante-dix)."""
    if n <= 16:
        return [_FR_UNITS[n]]
    if n < 20:
        return ["dix " + _FR_UNITS[n - 10]]
    tens, unit = divmod(n, 10)
    out: list[str] = []
    if tens * 10 in _FR_TENS:
        word = _FR_TENS[tens * 10]
        out.append(
            word if unit == 0 else f"{word} et un" if unit == 1 else f"{word} {_FR_UNITS[unit]}"
        )
        if unit == 1:
            out.append(f"{word} un")
    belgian = {7: "septante", 8: "huitante", 9: "nonante"}
    if tens in belgian:
        word = belgian[tens]
        out.append(word if unit == 0 else f"{word} {_FR_UNITS[unit]}")
        if unit == 1:
            out.append(f"{word} et un")
    if tens == 7:
        out += [f"soixante {w}" for w in _fr_number(10 + unit)]
        if unit == 1:
            out.append("soixante et onze")
    if tens == 8:
        out.append("quatre vingt" if unit == 0 else f"quatre vingt {_FR_UNITS[unit]}")
        out.append("quatre vingts" if unit == 0 else f"quatre vingts {_FR_UNITS[unit]}")
    if tens == 9:
        out += [f"quatre vingt {w}" for w in _fr_number(10 + unit)]
    return out


def _nl_number(n: int) -> list[str]:
    """Dutch words for 0-99, joined ("eenentachtig") and apart ("een en tachtig")."""
    if n < 20:
        return [_NL_UNITS[n]]
    tens, unit = divmod(n, 10)
    if unit == 0:
        return [_NL_TENS[n]]
    unit_word, tens_word = _NL_UNITS[unit], _NL_TENS[tens * 10]
    # "eenentachtig", "tweeëntachtig" (folded: "tweeentachtig"), "een en tachtig".
    return [f"{unit_word}en{tens_word}", f"{unit_word} en {tens_word}"]


def _en_number(n: int) -> list[str]:
    """English words for 0-99."""
    if n < 20:
        return [_EN_UNITS[n]]
    tens, unit = divmod(n, 10)
    return [_EN_TENS[tens * 10] if unit == 0 else f"{_EN_TENS[tens * 10]} {_EN_UNITS[unit]}"]


def spoken_postcodes(code: str) -> Iterator[str]:
    """The ways a speech recogniser may write postcode `code` (1000-1299) in fr, nl, en."""
    value = int(code)
    rest = value - 1000
    hundreds, last = divmod(rest, 100)
    digits = [int(d) for d in code]
    # French: "mille trente", "mille cent vingt", "onze cent vingt", "douze cent dix".
    fr_last = _fr_number(last) if last else [""]
    for tail in fr_last:
        if hundreds == 0 and last:
            yield f"mille {tail}"
        elif hundreds:
            heads = (
                ["mille cent", "onze cent", "onze cents"]
                if hundreds == 1
                else ["mille deux cent", "mille deux cents", "douze cent", "douze cents"]
            )
            for head in heads:
                yield f"{head} {tail}".strip()
    yield " ".join(_FR_UNITS[d] for d in digits)
    # Dutch: "duizend dertig", "duizend honderdtwintig", "elfhonderd twintig".
    for tail in _nl_number(last) if last else [""]:
        if hundreds == 0 and last:
            yield f"duizend {tail}"
        elif hundreds:
            word = "honderd" if hundreds == 1 else "tweehonderd"
            heads = [
                f"duizend {word}",
                f"duizend{word}",
                "elfhonderd" if hundreds == 1 else "twaalfhonderd",
                "elf honderd" if hundreds == 1 else "twaalf honderd",
            ]
            for head in heads:
                yield f"{head} {tail}".strip()
        if last:
            for first in _nl_number(value // 100):
                yield f"{first} {tail}"
    yield " ".join(_NL_UNITS[d] for d in digits)
    # English: "one thousand thirty", "ten thirty", "twelve hundred", "one oh three oh".
    for tail in _en_number(last) if last else [""]:
        if hundreds == 0 and last:
            yield f"one thousand {tail}"
            yield f"one thousand and {tail}"
        elif hundreds:
            head = "one thousand one hundred" if hundreds == 1 else "one thousand two hundred"
            yield f"{head} {tail}".strip()
            yield f"{head} and {tail}".strip() if last else head
            yield f"{_EN_UNITS[value // 100]} hundred {tail}".strip()
        if last:
            yield f"{_EN_UNITS[value // 100]} {'oh ' if last < 10 else ''}{tail}"
    yield " ".join(_EN_UNITS[d] for d in digits)
    yield " ".join("oh" if d == 0 else _EN_UNITS[d] for d in digits)


@dataclass(frozen=True)
class Found:
    """One entity found in a message: type, value, and character span in the message."""

    entity: str
    value: str
    start: int
    end: int

    def as_dict(self) -> dict[str, Any]:
        return {
            ENTITY_ATTRIBUTE_TYPE: self.entity,
            ENTITY_ATTRIBUTE_START: self.start,
            ENTITY_ATTRIBUTE_END: self.end,
            ENTITY_ATTRIBUTE_VALUE: self.value,
        }


class CommuneFinder:
    """Finds communes and postcodes in text: spaCy PhraseMatcher on folded text."""

    def __init__(self, communes: list[dict[str, Any]], fuzzy: bool = True) -> None:
        import spacy
        from spacy.matcher import PhraseMatcher

        self.nlp = spacy.blank("xx")
        self.fuzzy = fuzzy
        self.names: dict[tuple[str, ...], str] = {}
        self.postcodes: dict[str, str] = {}
        spoken: dict[tuple[str, ...], str] = {}
        for commune in communes:
            commune_id = str(commune["id"])
            for variant in self.name_variants(commune, communes):
                self.names.setdefault(variant, commune_id)
            for code in commune.get("postcodes", []):
                self.postcodes[str(code)] = commune_id
                for phrase in spoken_postcodes(str(code)):
                    spoken.setdefault(tuple(phrase.split()), str(code))
        self.spoken = spoken
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        for label, table in ((COMMUNE, self.names), (POSTCODE, self.spoken)):
            for words, value in table.items():
                self.matcher.add(f"{label}|{value}", [self.nlp.make_doc(" ".join(words))])
        # Single long words, for close spellings ("anderlegt", "schaerbeeek").
        self.fuzzy_words = {
            words[0]: value
            for words, value in self.names.items()
            if len(words) == 1 and len(words[0]) >= _FUZZY_MIN_LENGTH and words[0] not in AMBIGUOUS
        }
        self.ids = {str(c["id"]) for c in communes}
        self._close_cache: dict[str, str | None] = {}

    @staticmethod
    def name_variants(
        commune: dict[str, Any], communes: list[dict[str, Any]]
    ) -> Iterator[tuple[str, ...]]:
        """Every way of writing the commune's name, as folded words."""
        official = {folded_words(str(name)) for name in commune["name"].values()}
        official.add(folded_words(str(commune["id"])))
        base = official | {folded_words(extra) for extra in EXTRA_NAMES.get(str(commune["id"]), [])}
        # Parts of an official name that belong to this commune only: "boitsfort".
        others = [
            folded_words(str(name))
            for other in communes
            if other["id"] != commune["id"]
            for name in other["name"].values()
        ]
        for words in official:
            for size in range(1, len(words)):
                for i in range(len(words) - size + 1):
                    run = words[i : i + size]
                    if not set(run) - _WEAK or run in _NOT_A_PART:
                        continue
                    if any(_contains(other, run) for other in others):
                        continue
                    if size == 1 and run[0] in AMBIGUOUS:
                        continue
                    base.add(run)
        for words in base:
            if words in {("bruxelles",), ("brussel",), ("brussels",)}:
                continue  # the Region as often as the City
            yield from _saint_forms(words)
            if len(words) > 1:
                yield ("".join(words),)  # "saintgilles", "molenbeeksaintjean"

    def find(self, text: str) -> list[Found]:
        """Communes and postcodes in `text`, left to right, never overlapping."""
        folded, origin = fold(text)
        doc = self.nlp.make_doc(folded)
        found: list[tuple[int, int, Found]] = []
        spans = []
        for match_id, start, end in self.matcher(doc):
            label, value = self.nlp.vocab.strings[match_id].split("|", 1)
            spans.append((start, end, label, value))
        # Longest first, then leftmost: "woluwe saint lambert" over "saint lambert".
        spans.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        taken: set[int] = set()
        for start, end, label, value in spans:
            if taken.intersection(range(start, end)):
                continue
            words = tuple(t.text for t in doc[start:end])
            before = doc[start - 1].text if start > 0 else ""
            after = doc[end].text if end < len(doc) else ""
            if label == COMMUNE and len(words) == 1 and before in AMBIGUOUS.get(words[0], ()):
                continue
            if label == POSTCODE and (
                after in _NOT_POSTCODE_AFTER or before in _NOT_POSTCODE_BEFORE
            ):
                continue  # "douze cents euros", "at ten thirty", "om tien dertig"
            taken.update(range(start, end))
            found.append((start, end, self._found(label, value, doc[start:end], origin, text)))
        # Postcodes in digits, read in the original text (punctuation matters there).
        folded_at = _inverse(origin, len(text))
        for match in _POSTCODE_DIGITS.finditer(text):
            code = match.group(1)
            if code not in self.postcodes:
                continue
            start, end = match.start(1), match.end(1)
            span = doc.char_span(folded_at[start], folded_at[end - 1] + 1, alignment_mode="expand")
            tokens = set(range(span.start, span.end)) if span is not None else set()
            if taken & tokens:
                continue
            taken |= tokens
            found.append((0, 0, Found(POSTCODE, code, start, end)))
        # Close spellings of long single-word names.
        if self.fuzzy:
            for token in doc:
                if token.i in taken or len(token.text) < _FUZZY_MIN_LENGTH or token.is_digit:
                    continue
                value = self._close(token.text)
                if value is not None:
                    found.append(
                        (
                            token.i,
                            0,
                            self._found(COMMUNE, value, doc[token.i : token.i + 1], origin, text),
                        )
                    )
                    taken.add(token.i)
        found.sort(key=lambda f: f[2].start)
        return [f for _, _, f in found]

    @staticmethod
    def _found(label: str, value: str, span: Any, origin: list[int], text: str) -> Found:
        start = origin[span.start_char]
        end = origin[span.end_char - 1] + 1
        return Found(label, value, start, end)

    def commune_id(self, name: str) -> str | None:
        """The commune id a free-text name stands for (another extractor's value), or None."""
        words = folded_words(name)
        if not words:
            return None
        if "-".join(words) in self.ids:
            return "-".join(words)
        if words in self.names:
            return self.names[words]
        if self.fuzzy and len(words) == 1 and len(words[0]) >= _FUZZY_MIN_LENGTH:
            return self._close(words[0])
        return None

    def _close(self, word: str) -> str | None:
        """The commune id of a long name spelt close to `word` (same first letter), or None."""
        if word not in self._close_cache:
            candidates = [
                name for name in self.fuzzy_words
                if name[0] == word[0] and abs(len(name) - len(word)) <= 2
            ]  # fmt: skip
            close = difflib.get_close_matches(word, candidates, n=1, cutoff=_FUZZY_CUTOFF)
            if len(self._close_cache) > 10_000:
                self._close_cache.clear()
            self._close_cache[word] = self.fuzzy_words[close[0]] if close else None
        return self._close_cache[word]


def _inverse(origin: list[int], length: int) -> list[int]:
    """For each character of the original text, the first folded character made from it."""
    first = [0] * (length + 1)
    seen = [False] * (length + 1)
    for folded_index, original_index in enumerate(origin):
        if not seen[original_index]:
            first[original_index], seen[original_index] = folded_index, True
    for i in range(length - 1, -1, -1):  # characters that fold to nothing: next one's
        if not seen[i]:
            first[i] = first[i + 1] if i + 1 <= length and seen[i + 1] else len(origin)
            seen[i] = True
    return first


def _contains(longer: tuple[str, ...], run: tuple[str, ...]) -> bool:
    size = len(run)
    return any(longer[i : i + size] == run for i in range(len(longer) - size + 1))


def _saint_forms(words: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """`words` with every "saint" word replaced by each of its other forms."""
    options: list[Iterable[str]] = []
    for word in words:
        if word in ("saint", "sint", "st"):
            options.append(_SAINT)
        elif word in ("sainte", "ste"):
            options.append(_SAINTE)
        else:
            options.append((word,))
    forms: list[tuple[str, ...]] = [()]
    for choice in options:
        forms = [(*form, c) for form in forms for c in choice]
    yield from forms


def load_communes(path: Path) -> list[dict[str, Any]]:
    """The communes of content/communes.yml (id, name in fr/nl/en, postcodes)."""
    with path.open(encoding="utf-8") as handle:
        communes = yaml.safe_load(handle)
    if not isinstance(communes, list) or not all(
        isinstance(c, dict) and "id" in c and isinstance(c.get("name"), dict) for c in communes
    ):
        raise ValueError(f"{path}: expected a list of communes with `id` and `name`")
    return communes


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class CommuneEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts `commune` (commune id) and `postcode` entities with a spaCy PhraseMatcher."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Path of the communes file; relative paths start at the project root.
            "communes_file": "content/communes.yml",
            # Close spellings of long single-word names ("anderlegt").
            "fuzzy": True,
            # Remove other extractors' commune/postcode entities that overlap ours.
            "replace_overlapping": True,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "yaml"]

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = {**self.get_default_config(), **config}
        path = Path(self._config["communes_file"])
        if not path.is_absolute():
            path = ROOT / path
        self.finder = CommuneFinder(load_communes(path), fuzzy=bool(self._config["fuzzy"]))
        logger.debug(
            "%s: %d commune names, %d spoken postcodes from %s",
            self.name,
            len(self.finder.names),
            len(self.finder.spoken),
            path,
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CommuneEntityExtractor:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            ours = self.add_extractor_name([f.as_dict() for f in self.finder.find(text)])
            others = [self._merge(e, ours) for e in message.get(ENTITIES, [])]
            message.set(ENTITIES, ours + [e for e in others if e is not None], add_to_output=True)
        return messages

    def _merge(self, entity: dict[str, Any], ours: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Another extractor's entity: kept, dropped (overlaps ours) or given a commune id."""
        if (
            entity.get(ENTITY_ATTRIBUTE_TYPE) not in (COMMUNE, POSTCODE)
            or entity.get(EXTRACTOR) == self.name
        ):
            return entity
        start, end = entity.get(ENTITY_ATTRIBUTE_START), entity.get(ENTITY_ATTRIBUTE_END)
        overlaps = (
            isinstance(start, int)
            and isinstance(end, int)
            and any(
                o[ENTITY_ATTRIBUTE_START] < end and start < o[ENTITY_ATTRIBUTE_END] for o in ours
            )
        )
        if overlaps and self._config["replace_overlapping"]:
            return None
        if entity.get(ENTITY_ATTRIBUTE_TYPE) == COMMUNE:
            commune_id = self.finder.commune_id(str(entity.get(ENTITY_ATTRIBUTE_VALUE, "")))
            if commune_id is not None:
                return {**entity, ENTITY_ATTRIBUTE_VALUE: commune_id}
        return entity
