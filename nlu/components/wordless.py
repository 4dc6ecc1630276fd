"""WordlessMessageClassifier: a message with no word to read is not understood.

DIET answers every message with some intent. For "?", "..." or "x" it has no feature to
go on but character n-grams of nothing, and its answer is whatever the empty message
looks most like: `affirm`, with 0.7 to 0.8 confidence, which moves a person on to the
next step (issue 11: "x" and "?" did). Such a message becomes `nlu_fallback`, so the bot
says it did not understand and keeps the person's place.

Wordless: no letter or digit at all, or only single letters that no training example
uses as a word ("x"; "y" and "n" are trained answers and stay DIET's). Two letters can
be a word DIET reads by its n-grams ("oé", "ja", "ok"); numbers stay DIET's too
(postcodes, menu choices). A word written only in letters the training data never uses
(a script of its own: Korean, Chinese, Amharic...) is as unreadable to DIET as "?", and
gets the same `affirm`: such a word counts as wordless too. So does a message most of
whose words are unreadable: DIET answers it from the few it can read, as if they were
the whole message ("A" or "LOVE" in a Korean sentence, as Vosk's Korean model writes
them, gave `goodbye`, which hangs up a call). Half of its words or more readable, it is
DIET's ("1030 서울"). Runs after the FallbackClassifier; trained only to learn the
letters and the single-letter words of the training data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.folding import fold

SHORT = 1  # letters: a word this short carries nothing DIET could read from its n-grams
KNOWN_FILE = "known.json"


@dataclass(frozen=True)
class Known:
    """What the training data reads: its letters and its words of at most SHORT letters,
    folded."""

    letters: frozenset[str]
    short_words: frozenset[str]

    @classmethod
    def of(cls, texts: list[str]) -> Known:
        words = [w for text in texts for w in fold(text)[0].split()]
        return cls(frozenset("".join(words)), frozenset(w for w in words if len(w) <= SHORT))

    @classmethod
    def from_json(cls, stored: dict[str, list[str]]) -> Known:
        """What `to_json` kept."""
        return cls(frozenset(stored["letters"]), frozenset(stored["short_words"]))

    def to_json(self) -> dict[str, list[str]]:
        """As kept in the model."""
        return {"letters": sorted(self.letters), "short_words": sorted(self.short_words)}

    def readable(self, word: str) -> bool:
        """Whether DIET can read folded `word` (see the module's docstring)."""
        if word.isdigit():
            return True
        if not any(letter in self.letters for letter in word):
            return False  # a script the training data never uses
        return len(word) > SHORT or word in self.short_words


def is_wordless(text: str, known: Known) -> bool:
    """True when `text` has no word to read, or fewer readable words than unreadable
    ones (see the module's docstring)."""
    words = fold(text)[0].split()
    readable = sum(known.readable(word) for word in words)
    return readable == 0 or 2 * readable < len(words)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class WordlessMessageClassifier(GraphComponent):
    """Turns a message with no word to read into nlu_fallback."""

    def __init__(self, model_storage: ModelStorage, resource: Resource, known: Known) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self._known = known

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> WordlessMessageClassifier:
        return cls(model_storage, resource, Known.of([]))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> WordlessMessageClassifier:
        with model_storage.read_from(resource) as directory:
            stored = json.loads((directory / KNOWN_FILE).read_text(encoding="utf-8"))
        return cls(model_storage, resource, Known.from_json(stored))

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the letters and the single-letter words the training examples use."""
        texts = [example.get(TEXT) or "" for example in training_data.intent_examples]
        self._known = Known.of(texts)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / KNOWN_FILE).write_text(
                json.dumps(self._known.to_json(), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if is_wordless(message.get(TEXT) or "", self._known):
                _not_understood(message)
        return messages


def _not_understood(message: Message) -> None:
    """Make the message nlu_fallback, before DIET's ranking (kept, as FallbackClassifier does)."""
    fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 1.0}
    ranking = [
        r
        for r in message.get(INTENT_RANKING_KEY) or []
        if r.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME
    ]
    message.set(INTENT, fallback, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)
