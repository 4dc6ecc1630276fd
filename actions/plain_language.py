"""Plain-language check of every text Loket can say, in French, Dutch and English.

Pure Python, standard library only: it imports under Python 3.10 (the brain) and 3.11+
(the hub's test suite) without Rasa, PyYAML or jsonschema. It works on the objects that
`actions.catalogue.load_catalogue` builds; only `main()` loads them.

The rules (from the plain-language requirement):

(a) no sentence has more than 20 words;
(b) a procedure step or section averages at most 12 words per sentence;
(c) the readability score of a summary, a "who", a step, a section, a message or a hub
    text is at least 60, with one pinned formula per language (below); texts under 5
    words (titles, buttons) are too short to score;
(d) a spoken text (read aloud on the phone) contains no web address and no e-mail
    address written as text;
(e) a spoken text writes phone numbers the way they are read aloud: groups of at most
    4 digits separated by spaces or commas, "plus" as a word (never "+32"), no digits
    joined by "/", "." or "-".

Counting, so figures can be reproduced by hand:

- Sentences end at ". ! ? : ..." followed by a space or the end of the text, and at
  every line break; a decimal point (2.5) or a colon inside a web address is no end.
  A bullet or numbered line ("- ...", "• ...", "1. ...", "2) ...") is its own sentence
  and its marker is not a word. Abbreviations are not recognised (rare in our content).
- Words are the tokens between spaces that contain a letter or a digit. A run of digit
  groups separated by spaces or commas ("00800 2123 2123", "078, 170, 170") is ONE
  word, so is a placeholder ("{total}"), a web address or an e-mail address.
- Syllables: see `count_syllables`. A number counts one syllable per digit group
  (00800 2123 2123: 3), a placeholder one syllable.

Pinned formulas (ASL = words per sentence, ASW = syllables per word):

- English, Flesch reading ease (1948):  206.835 - 1.015 ASL - 84.6 ASW
- Dutch, Flesch-Douma (1960):           206.835 - 0.93 ASL - 77 ASW
- French, Kandel-Moles (1958):          207 - 1.015 ASL - 73.6 ASW

`python -m actions.plain_language` checks the real content and prints the report.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: importing actions.catalogue needs PyYAML
    from .catalogue import Catalogue, Phrase

LANGUAGES: tuple[str, ...] = ("fr", "nl", "en")
"""Same as actions.catalogue.LANGUAGES (a test checks it), kept here to stay stdlib-only."""

MAX_SENTENCE_WORDS = 20
MAX_AVERAGE_WORDS = 12.0
MIN_SCORE = 60.0
MIN_SCORED_WORDS = 5

# Rule names, in the order the report shows them.
RULE_SPOKEN_ADDRESS = "spoken-address"
RULE_SPOKEN_PHONE = "spoken-phone"
RULE_SENTENCE = "sentence-length"
RULE_AVERAGE = "average-length"
RULE_SCORE = "readability"
RULES: tuple[str, ...] = (
    RULE_SPOKEN_ADDRESS,
    RULE_SPOKEN_PHONE,
    RULE_SENTENCE,
    RULE_AVERAGE,
    RULE_SCORE,
)
_RULE_TITLES: Mapping[str, str] = {
    RULE_SPOKEN_ADDRESS: "Spoken texts with a web or e-mail address",
    RULE_SPOKEN_PHONE: "Spoken texts with a phone number not grouped for speech",
    RULE_SENTENCE: f"Sentences over {MAX_SENTENCE_WORDS} words (longest first)",
    RULE_AVERAGE: f"Steps and sections over {MAX_AVERAGE_WORDS:g} words per sentence on average",
    RULE_SCORE: f"Readability scores under {MIN_SCORE:g} (lowest first)",
}

# Kinds of text, by what the bot uses them for.
_AVERAGED_KINDS = frozenset({"step", "section"})
_SCORED_KINDS = frozenset({"summary", "who", "step", "section", "message", "hub"})


# ---------------------------------------------------------------- sentences and words

_BULLET = re.compile(r"^\s*(?:[-*•‣◦▪–—]|\(?\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?:…]+(?:[\"'»”’)\]]|\s»)*(?=\s|$)")  # French: "Oui. »"
_NUMBER = r"\+?\d+(?:(?:,?[^\S\n]+|,)\d+)*"
_NUMBER_RUN = re.compile(_NUMBER)
_PLACEHOLDER = re.compile(r"\{\w*\}")
_TOKEN = re.compile(
    # a number, its groups included; a decimal (2.5) stays one word through \S+
    rf"(?<![\w+./-]){_NUMBER}(?=$|[\s;:!?)\]»”\"'’…]|[.,](?!\d))"
    r"|\{\w*\}"  # a placeholder
    r"|\S+"
)
_LETTERS_OR_DIGITS = re.compile(r"[^\W\d_]+|\d+")


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences; fragments without a word (a lone "?") are dropped."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line, count=1)
        for piece in _SENTENCE_END.split(line):
            piece = piece.strip()
            if any(ch.isalnum() for ch in piece):
                sentences.append(piece)
    return sentences


def words(text: str) -> list[str]:
    """Return the words of `text`: tokens with a letter or digit, a number run as one."""
    return [tok for tok in _TOKEN.findall(text) if any(ch.isalnum() for ch in tok)]


def count_words(text: str) -> int:
    """Return the number of words of `text` (see `words`)."""
    return len(words(text))


# ---------------------------------------------------------------- syllables

_FR_VOWELS = frozenset("aeiouyàâäéèêëîïôöûùüÿœæ")
_NL_VOWELS = frozenset("aeiouyäëïöü")
_EN_VOWELS = frozenset("aeiouyàáâäèéêëìíîïòóôöùúûü")
_VOWELS: Mapping[str, frozenset[str]] = {"fr": _FR_VOWELS, "nl": _NL_VOWELS, "en": _EN_VOWELS}
_DIAERESIS = frozenset("äëïöüÿ")
# Dutch: stress accents (één, vóór) do not change the count; the diaeresis (België) does.
_NL_PLAIN = str.maketrans("áàâéèêíìîóòôúùû", "aaaeeeiiiooouuu")
_NL_GROUPS: tuple[str, ...] = (
    *("aai", "ooi", "oei", "eeu", "ieu"),
    *("aa", "ee", "oo", "uu", "ie", "ei", "ij", "ui", "oe", "ou", "au", "eu"),
)
_FR_SOFT_AFTER_GU = frozenset("eiyéèê")


def _is_vowel(word: str, i: int, lang: str) -> bool:
    """Whether letter i of the lowercase `word` is (part of) a vowel sound."""
    ch = word[i]
    prev = word[i - 1] if i > 0 else ""
    nxt = word[i + 1] if i + 1 < len(word) else ""
    vowels = _VOWELS[lang]
    if ch == "j":  # Dutch ij is one vowel: blijven, rijksregister
        return lang == "nl" and prev == "i"
    if ch not in vowels:
        return False
    if ch == "u" and prev == "q":  # qu: question, quoi, quota
        return False
    if ch == "u" and lang == "fr" and prev == "g" and nxt in _FR_SOFT_AFTER_GU:
        return False  # gu before e, i: guichet, langue
    # y before a vowel is a consonant (you, yoga, payer, moyen, loyaal), except before a
    # final e (goodbye, eye, paye)
    return not (ch == "y" and nxt in vowels and word[i + 1 :] != "e")


def _runs(word: str, lang: str) -> list[tuple[int, int]]:
    """Return the [start, end) spans of the runs of vowel letters of `word`."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i in range(len(word) + 1):
        vowel = i < len(word) and _is_vowel(word, i, lang)
        if vowel and start is None:
            start = i
        elif not vowel and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _split_fr_en(word: str, start: int, end: int, lang: str) -> list[tuple[int, int]]:
    """Split one vowel run into syllable nuclei (French, English).

    A run is one nucleus (eau, ou, ai, oi, ea, io...) except: a letter with a diaeresis
    starts a new one (naïf, Noël); in French, é before another vowel does too (créer,
    réunion, théâtre), but not the silent e of a final -ée/-ées (journée, idées).
    """
    nuclei: list[tuple[int, int]] = []
    first = start
    for i in range(start + 1, end):
        hiatus = word[i] in _DIAERESIS
        if lang == "fr" and word[i - 1] == "é":
            hiatus = hiatus or word[i:] not in ("e", "es")
        if hiatus:
            nuclei.append((first, i))
            first = i
    nuclei.append((first, end))
    return nuclei


def _split_nl(word: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one vowel run into Dutch syllable nuclei, longest known group first.

    Groups: aai ooi oei eeu ieu, aa ee oo uu ie ei ij ui oe ou au eu. Any other vowel
    is a nucleus of its own (so-ci-aal, i-de-e, Bel-gi-ë).
    """
    nuclei: list[tuple[int, int]] = []
    i = start
    while i < end:
        size = next(
            (len(g) for g in _NL_GROUPS if i + len(g) <= end and word[i : i + len(g)] == g), 1
        )
        nuclei.append((i, i + size))
        i += size
    return nuclei


def _nuclei(word: str, lang: str) -> list[tuple[int, int]]:
    """Return the syllable nuclei of one lowercase run of letters."""
    found: list[tuple[int, int]] = []
    for start, end in _runs(word, lang):
        if lang == "nl":
            found += _split_nl(word, start, end)
        else:
            found += _split_fr_en(word, start, end, lang)
    return found


def _silent_ending(word: str, nuclei: Sequence[tuple[int, int]], lang: str) -> bool:
    """Whether the last nucleus of a word of 2+ nuclei is a silent final e (French, English).

    French: final -e or -es after a consonant (carte, communes, étapes). The verb ending
    -ent (ils demandent) is not handled: it cannot be told from moment, souvent.
    English: final -e after a consonant, except consonant + le (table keeps 2); final
    -es, except after s, x, z, c, g, ch, sh (makes: 1, houses: 2); final -ed, except
    after t or d (blocked: 1, extended: 3).
    """
    if lang == "nl" or len(nuclei) < 2:
        return False
    n = len(word)
    last = nuclei[-1]
    if word.endswith("e") and last == (n - 1, n):
        if lang == "fr":
            return True
        return not (word.endswith("le") and n >= 3 and not _is_vowel(word, n - 3, lang))
    if word.endswith(("es", "ed")) and last == (n - 2, n - 1):
        if lang == "fr":
            return word.endswith("es")
        before = word[n - 3] if n >= 3 else ""
        if word.endswith("ed"):
            return before not in ("t", "d")
        return before not in ("s", "x", "z", "c", "g") and not word.endswith(("ches", "shes"))
    return False


def _letters_syllables(letters: str, lang: str) -> int:
    """Syllables of a run of letters (may be 0: the d of d'abord, the qu of qu'il)."""
    word = letters.lower()
    if lang == "nl":
        word = word.translate(_NL_PLAIN)
    nuclei = _nuclei(word, lang)
    return len(nuclei) - (1 if _silent_ending(word, nuclei, lang) else 0)


def count_syllables(word: str, lang: str) -> int:
    """Return the syllables of one word (a token of `words`) in `lang`; at least 1.

    A syllable is a vowel nucleus: a run of vowel letters (a e i o u y and their
    accented forms), so eau, ou, ai, ei, oi, au, eu, ui are one. Then per language:

    - all: u after q is a consonant (quoi, question); y before a vowel is a consonant
      (you, payer, moyen), but not before a final e (goodbye); a letter with a
      diaeresis starts a new nucleus (naïf, België).
    - French: gu before e/i is a consonant (guichet); é before a vowel is a hiatus
      (cré-er, ré-union) except final -ée(s); silent final -e/-es after a consonant in
      words of 2+ nuclei (carte: 1, commune: 2, étapes: 2).
    - Dutch: ij is a vowel; a run is cut into the longest groups among aai ooi oei eeu
      ieu aa ee oo uu ie ei ij ui oe ou au eu, any other vowel being its own nucleus
      (nieuwe: 2, sociaal: 3, idee: 2); final e is a spoken schwa, so it counts;
      stress accents are ignored (één: 1).
    - English: silent final -e (make: 1; but table: 2), -es (makes: 1; houses: 2),
      -ed (blocked: 1; extended: 3).

    A number counts one syllable per digit group ("00800 2123 2123": 3, "8": 1), a
    placeholder ("{total}") one. Other tokens (d'identité, moi-même, irisbox.brussels)
    add up their letter parts, one syllable per digit group among them.
    """
    if _PLACEHOLDER.fullmatch(word):
        return 1
    if _NUMBER_RUN.fullmatch(word):
        return len(re.findall(r"\d+", word))
    total = 0
    for part in _LETTERS_OR_DIGITS.findall(word):
        total += 1 if part.isdigit() else _letters_syllables(part, lang)
    return max(total, 1)


# ---------------------------------------------------------------- formulas


def flesch_reading_ease(words: int, sentences: int, syllables: int) -> float:
    """English: Flesch reading ease = 206.835 - 1.015 ASL - 84.6 ASW."""
    return 206.835 - 1.015 * (words / sentences) - 84.6 * (syllables / words)


def flesch_douma(words: int, sentences: int, syllables: int) -> float:
    """Dutch: Flesch-Douma = 206.835 - 0.93 ASL - 77 ASW."""
    return 206.835 - 0.93 * (words / sentences) - 77 * (syllables / words)


def kandel_moles(words: int, sentences: int, syllables: int) -> float:
    """French: Kandel-Moles = 207 - 1.015 ASL - 73.6 ASW."""
    return 207 - 1.015 * (words / sentences) - 73.6 * (syllables / words)


FORMULAS: Mapping[str, tuple[str, Callable[[int, int, int], float]]] = {
    "fr": ("Kandel-Moles", kandel_moles),
    "nl": ("Flesch-Douma", flesch_douma),
    "en": ("Flesch reading ease", flesch_reading_ease),
}
"""The one pinned readability formula of each language: (name, function)."""


@dataclass(frozen=True)
class TextStats:
    """Counts of one text in one language, and its readability score."""

    language: str
    sentences: tuple[str, ...]
    sentence_words: tuple[int, ...]
    words: int
    syllables: int

    @property
    def average_words(self) -> float:
        """Words per sentence (0 for a text without words)."""
        return self.words / len(self.sentences) if self.sentences else 0.0

    @property
    def score(self) -> float:
        """Score of the language's pinned formula (0 for a text without words)."""
        if not self.words:
            return 0.0
        return FORMULAS[self.language][1](self.words, len(self.sentences), self.syllables)


def text_stats(text: str, lang: str) -> TextStats:
    """Count the sentences, words and syllables of `text` in `lang`."""
    if lang not in FORMULAS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
    sentences = split_sentences(text)
    per_sentence = [words(sentence) for sentence in sentences]
    syllables = sum(count_syllables(w, lang) for found in per_sentence for w in found)
    return TextStats(
        language=lang,
        sentences=tuple(sentences),
        sentence_words=tuple(len(found) for found in per_sentence),
        words=sum(len(found) for found in per_sentence),
        syllables=syllables,
    )


def readability(text: str, lang: str) -> float:
    """Return the pinned readability score of `text` in `lang` (higher is easier)."""
    return text_stats(text, lang).score


# ---------------------------------------------------------------- spoken forms

_SPOKEN_ADDRESS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "an e-mail address"),
    (re.compile(r"https?://\S+|www\.\S+|http", re.IGNORECASE), "a web address"),
    (
        re.compile(
            r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:be|brussels|com|org|net|eu|info)\b",
            re.IGNORECASE,
        ),
        "a web address",
    ),
)
_PLUS_SIGN = re.compile(r"\+\s*\d+")
_JOINED_DIGITS = re.compile(r"\d+(?:[/.-]\d+)+")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{5,}(?!\d)")


def spoken_address_problems(text: str) -> list[str]:
    """Return what in `text` is a web or e-mail address written as text (rule d)."""
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for pattern, what in _SPOKEN_ADDRESS:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in taken):
                continue  # the domain of an e-mail or of a URL already reported
            taken.append(match.span())
            found.append(f"{what} ({match.group(0)!r})")
    return found


def spoken_phone_problems(text: str) -> list[str]:
    """Return the numbers of `text` not written the way they are read aloud (rule e).

    Read aloud, a number is grouped: groups of at most 4 digits separated by spaces or
    commas ("00, 800, 21 23, 21 23"), "plus" as a word. Flagged: "+32", digits joined
    by "/" or by two or more "." or "-" ("02/279.22.11", "02-279-22-11"; a decimal
    2.5 or a range 3-5 passes), and 5 or more digits in a row ("0800120 33").
    """
    found = [
        f'a "+" written as a symbol, say "plus" ({m.group(0)!r})' for m in _PLUS_SIGN.finditer(text)
    ]
    for match in _JOINED_DIGITS.finditer(text):
        joined = match.group(0)
        # "/" always; "." or "-" from two on, so a decimal (2.5) or a range (3-5) passes
        if "/" in joined or len(re.findall(r"[.-]", joined)) >= 2:
            found.append(f'digits joined by "/", "." or "-" ({joined!r})')
    found += [
        f"5 or more digits in one group ({m.group(0)!r})" for m in _LONG_DIGITS.finditer(text)
    ]
    return found


# ---------------------------------------------------------------- walking the content


@dataclass(frozen=True)
class Finding:
    """One text that breaks a plain-language rule.

    `where` names the file and field ("content/procedures/lost-eid.yml steps[2].written.fr");
    `text` is the offending sentence (rules a) or the whole text; `value` is the number
    the rule looks at: words in the sentence, average words per sentence, score, or the
    number of problems found in a spoken text.
    """

    where: str
    language: str
    text: str
    problem: str
    value: float
    rule: str


@dataclass(frozen=True)
class Measure:
    """One text the bot can say, with its counts: the material of the figures."""

    where: str
    language: str
    kind: str
    spoken: bool
    text: str
    stats: TextStats

    @property
    def scored(self) -> bool:
        """Whether rule (c) applies: a prose kind, 5 words or more."""
        return self.kind in _SCORED_KINDS and self.stats.words >= MIN_SCORED_WORDS


def _phrase_texts(
    label: str, phrase: Phrase, kind: str
) -> Iterator[tuple[str, str, str, bool, str]]:
    """Yield (where, lang, kind, spoken, text) of a written/spoken phrase.

    A spoken form equal to the written one is checked once, as spoken, named
    "<field>.written.<lang> (= spoken)".
    """
    for lang in LANGUAGES:
        written, spoken = phrase.written.in_(lang), phrase.spoken.in_(lang)
        if written == spoken:
            yield f"{label}.written.{lang} (= spoken)", lang, kind, True, written
        else:
            yield f"{label}.written.{lang}", lang, kind, False, written
            yield f"{label}.spoken.{lang}", lang, kind, True, spoken


def _message_texts(label: str, phrase: Phrase) -> Iterator[tuple[str, str, str, bool, str]]:
    """Yield the texts of a message-like phrase: one form for chat and phone, or two."""
    if phrase.written is phrase.spoken:  # one form for chat and phone
        for lang in LANGUAGES:
            yield f"{label}.{lang}", lang, "message", True, phrase.written.in_(lang)
    else:
        yield from _phrase_texts(label, phrase, "message")


def _menu_texts(
    catalogue: Catalogue, content_label: str
) -> Iterator[tuple[str, str, str, bool, str]]:
    """Yield the texts of menu.yml, clarifications.yml, communes.yml and glossary.yml.

    Titles, labels and names are short and not scored; questions, notes and
    explanations are.
    """
    for category in catalogue.menu:
        for lang in LANGUAGES:
            where = f"{content_label}/menu.yml {category.id}.title.{lang}"
            yield where, lang, "title", True, category.title.in_(lang)
    for question in catalogue.clarifications.values():
        base = f"{content_label}/clarifications.yml {question.id}"
        yield from _message_texts(f"{base}.question", question.question)
        for option in question.options:
            for lang in LANGUAGES:
                if option.label is not None:
                    where = f"{base}.options.{option.procedure}.label.{lang}"
                    yield where, lang, "title", True, option.label.in_(lang)
    for commune in catalogue.communes:
        base = f"{content_label}/communes.yml {commune.id}"
        for lang in LANGUAGES:
            yield f"{base}.name.{lang}", lang, "title", True, commune.name.in_(lang)
            if commune.note is not None:
                yield f"{base}.note.{lang}", lang, "message", True, commune.note.in_(lang)
    for term in catalogue.glossary.values():
        yield from _phrase_texts(f"{content_label}/glossary.yml {term.id}", term.phrase, "message")


def _texts(
    catalogue: Catalogue, hub_texts: Mapping[str, Mapping[str, str]], content_label: str
) -> Iterator[tuple[str, str, str, bool, str]]:
    """Yield (where, lang, kind, spoken, text) for every text the bot can say."""
    for proc in catalogue.procedures.values():
        base = f"{content_label}/procedures/{proc.id}.yml "
        # title, summary and who have one form, shown in chat and read on the phone.
        for name in ("title", "summary", "who"):
            text = getattr(proc, name)
            for lang in LANGUAGES:
                yield f"{base}{name}.{lang}", lang, name, True, text.in_(lang)
        for index, step in enumerate(proc.steps):
            yield from _phrase_texts(f"{base}steps[{index}]", step, "step")
        for name, phrase in proc.sections():
            yield from _phrase_texts(f"{base}{name}", phrase, "section")
        for index, right in enumerate(proc.related_rights):
            yield from _phrase_texts(f"{base}related_rights[{index}].why", right.why, "section")
    base = f"{content_label}/messages.yml "
    for name, phrase in catalogue.messages.phrases.items():
        yield from _message_texts(f"{base}{name}", phrase)
    yield from _menu_texts(catalogue, content_label)
    for label, texts in hub_texts.items():
        for lang, text in texts.items():
            if lang not in LANGUAGES:
                raise ValueError(f"{label}: unknown language {lang!r}; expected {LANGUAGES}")
            # The hub's texts have one form for every channel, the phone included.
            yield f"{label}.{lang}", lang, "hub", True, text


def spoken_texts(
    catalogue: Catalogue,
    hub_texts: Mapping[str, Mapping[str, str]] | None = None,
    content_label: str = "content",
) -> Iterator[tuple[str, str, str]]:
    """Yield (where, lang, text) for every text read aloud on the phone (see `measure`)."""
    for where, lang, _kind, spoken, text in _texts(catalogue, hub_texts or {}, content_label):
        if spoken:
            yield where, lang, text


def measure(
    catalogue: Catalogue,
    hub_texts: Mapping[str, Mapping[str, str]] | None = None,
    content_label: str = "content",
) -> list[Measure]:
    """Count every text the bot can say: procedures, messages, and `hub_texts`.

    `hub_texts` holds texts said outside the catalogue, {label: {lang: text}}, the label
    naming where they live ("bot/texts.py holding_reply"). `content_label` is how the
    content directory is named in `where`.
    """
    return [
        Measure(where, lang, kind, spoken, text, text_stats(text, lang))
        for where, lang, kind, spoken, text in _texts(catalogue, hub_texts or {}, content_label)
    ]


def _findings(item: Measure) -> Iterator[Finding]:
    """Yield the findings of one measured text."""
    stats, where, lang = item.stats, item.where, item.language
    if item.spoken:
        problems = spoken_address_problems(item.text)
        if problems:
            what = "; ".join(problems)
            problem = f"read aloud, contains {what}"
            yield Finding(where, lang, item.text, problem, len(problems), RULE_SPOKEN_ADDRESS)
        problems = spoken_phone_problems(item.text)
        if problems:
            what = "; ".join(problems)
            problem = f"read aloud, not grouped for speech: {what}"
            yield Finding(where, lang, item.text, problem, len(problems), RULE_SPOKEN_PHONE)
    for sentence, count in zip(stats.sentences, stats.sentence_words, strict=True):
        if count > MAX_SENTENCE_WORDS:
            problem = f"sentence of {count} words (at most {MAX_SENTENCE_WORDS})"
            yield Finding(where, lang, sentence, problem, count, RULE_SENTENCE)
    if item.kind in _AVERAGED_KINDS and stats.average_words > MAX_AVERAGE_WORDS:
        yield Finding(
            where,
            lang,
            item.text,
            f"{stats.average_words:.1f} words per sentence on average "
            f"({stats.words} words, {len(stats.sentences)} sentences; at most "
            f"{MAX_AVERAGE_WORDS:g})",
            round(stats.average_words, 2),
            RULE_AVERAGE,
        )
    if item.scored and stats.score < MIN_SCORE:
        name = FORMULAS[lang][0]
        yield Finding(
            where,
            lang,
            item.text,
            f"{name} score {stats.score:.1f} (at least {MIN_SCORE:g}; "
            f"{stats.average_words:.1f} words per sentence, "
            f"{stats.syllables / stats.words:.2f} syllables per word)",
            round(stats.score, 1),
            RULE_SCORE,
        )


def check_measures(measures: Iterable[Measure]) -> list[Finding]:
    """Apply the rules to measured texts; return the findings, worst first per rule."""
    findings = [found for item in measures for found in _findings(item)]
    return sorted(findings, key=_severity)


def check_catalogue(
    catalogue: Catalogue,
    hub_texts: Mapping[str, Mapping[str, str]] | None = None,
    content_label: str = "content",
) -> list[Finding]:
    """Check every text the bot can say against the rules; return the findings.

    Walks each procedure's title, summary, who, steps and sections (written and spoken,
    every language), every message of messages.yml (written and spoken), the menu's
    titles, the clarifying questions, the communes' names and notes, and
    `hub_texts` ({label: {lang: text}}: the hub's own sentences, which the caller
    passes in because actions/ never imports bot/).
    """
    return check_measures(measure(catalogue, hub_texts, content_label))


def _severity(found: Finding) -> tuple[int, float, str]:
    """Sort key: by rule, then worst first (longest, highest average, lowest score)."""
    worst = found.value if found.rule == RULE_SCORE else -found.value
    return RULES.index(found.rule), worst, found.where


# ---------------------------------------------------------------- figures and report


@dataclass(frozen=True)
class LanguageFigures:
    """Readability figures of one language, over the scored texts (prose of 5+ words)."""

    language: str
    formula: str
    texts: int
    mean_score: float
    min_score: float
    min_score_where: str
    overall_score: float
    sentences: int
    mean_words: float
    max_words: int
    max_words_where: str


def language_figures(measures: Iterable[Measure]) -> dict[str, LanguageFigures]:
    """Per language: mean and minimum score, score of all scored text together, and
    mean words per sentence over the scored texts; longest sentence over all texts.
    """
    measures = list(measures)
    figures: dict[str, LanguageFigures] = {}
    for lang in LANGUAGES:
        mine = [m for m in measures if m.language == lang]
        scored = [m for m in mine if m.scored]
        if not scored:
            continue
        lowest = min(scored, key=lambda m: m.stats.score)
        longest = max(mine, key=lambda m: max(m.stats.sentence_words, default=0))
        words_ = sum(m.stats.words for m in scored)
        sentences = sum(len(m.stats.sentences) for m in scored)
        syllables = sum(m.stats.syllables for m in scored)
        name, formula = FORMULAS[lang]
        figures[lang] = LanguageFigures(
            language=lang,
            formula=name,
            texts=len(scored),
            mean_score=statistics.fmean(m.stats.score for m in scored),
            min_score=lowest.stats.score,
            min_score_where=lowest.where,
            overall_score=formula(words_, sentences, syllables),
            sentences=sentences,
            mean_words=words_ / sentences,
            max_words=max(longest.stats.sentence_words, default=0),
            max_words_where=longest.where,
        )
    return figures


def format_figures(figures: Mapping[str, LanguageFigures]) -> str:
    """Readability figures per language, as plain text for the closing note of an issue."""
    lines = [
        "Readability figures per language (scored texts: summaries, who, steps, sections,",
        f"messages and hub texts of {MIN_SCORED_WORDS}+ words; longest sentence: all texts):",
        "",
        "lang  formula              texts  mean score  min score  all together"
        "  sentences  mean words/sentence  max words/sentence",
    ]
    for fig in figures.values():
        lines.append(
            f"{fig.language:<4}  {fig.formula:<19}  {fig.texts:>5}  {fig.mean_score:>10.1f}"
            f"  {fig.min_score:>9.1f}  {fig.overall_score:>12.1f}  {fig.sentences:>9}"
            f"  {fig.mean_words:>19.1f}  {fig.max_words:>18}"
        )
    lines.append("")
    for fig in figures.values():
        lines.append(f"{fig.language}: lowest score in {fig.min_score_where}")
        lines.append(f"{fig.language}: longest sentence in {fig.max_words_where}")
    return "\n".join(lines)


def _shorten(text: str, width: int = 160) -> str:
    """One line of at most `width` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def report(
    findings: Sequence[Finding],
    limit: int = 15,
    measures: Iterable[Measure] | None = None,
) -> str:
    """The findings, worst first, at most `limit` per rule; then, given `measures`,
    the readability figures per language.
    """
    if findings:
        counts = ", ".join(
            f"{sum(f.rule == rule for f in findings)} {rule}"
            for rule in RULES
            if any(f.rule == rule for f in findings)
        )
        plural = "s" if len(findings) != 1 else ""
        lines = [f"Plain-language check: {len(findings)} finding{plural} ({counts})."]
    else:
        lines = ["Plain-language check: no findings."]
    for rule in RULES:
        mine = sorted((f for f in findings if f.rule == rule), key=_severity)
        if not mine:
            continue
        lines += ["", f"{_RULE_TITLES[rule]}:"]
        for found in mine[:limit]:
            lines.append(f"- {found.where}: {found.problem}")
            lines.append(f"    {_shorten(found.text)}")
        if len(mine) > limit:
            lines.append(f"  ... and {len(mine) - limit} more")
    if measures is not None:
        lines += ["", format_figures(language_figures(measures))]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Check the real content; print the report and figures; return 1 if anything fails.

    The hub's own sentences (bot/texts.py) are not checked here, since actions/ never
    imports bot/: tests/unit/test_plain_language.py checks them with the content.
    """
    parser = argparse.ArgumentParser(
        prog="python -m actions.plain_language", description=main.__doc__
    )
    parser.add_argument("--limit", type=int, default=15, help="findings shown per rule")
    args = parser.parse_args(argv)
    # Imported here: these need PyYAML and jsonschema, the checks themselves do not.
    from .catalogue import default_content_dir, load_catalogue
    from .render import LANGUAGE_NAMES

    content_dir = default_content_dir()
    catalogue = load_catalogue(content_dir)
    others = {
        "actions/render.py LANGUAGE_NAMES": {lang: LANGUAGE_NAMES[lang] for lang in LANGUAGES}
    }
    measures = measure(catalogue, others, content_label=content_dir.name)
    findings = check_measures(measures)
    print(report(findings, limit=args.limit, measures=measures))
    print("\n(bot/texts.py is checked by tests/unit/test_plain_language.py, not here.)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
