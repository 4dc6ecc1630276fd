"""LookupLemmatizer: Dutch lemmas for the bag-of-words features, from spaCy's lookup tables.

Loket's pipeline has no language model (PyPI has no Dutch spaCy model for spaCy 3.8, and
one multilingual model serves three languages), so WhitespaceTokenizer leaves each
token's lemma equal to its text. This component sets it from spacy-lookups-data's
`lemma_lookup` table of each configured language ("aangevraagd" -> "aanvragen",
"uitkeringen" -> "uitkering"), so that CountVectorsFeaturizer (which reads lemmas when
`use_lemma` is on, its default) sees one word where callers write several forms.

It goes right after the tokenizer. Words not in a table keep their text; when several
tables are configured, the first that knows the word wins. Whether it earns its place is
measured in docs/nlu-report.md ("Components").
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.lookups import load_lookups


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class LookupLemmatizer(GraphComponent):
    """Sets each token's lemma from the lookup tables of the configured languages."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"languages": ["nl"]}

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "spacy_lookups_data"]

    def __init__(self, config: dict[str, Any]) -> None:
        languages = list(config.get("languages") or self.get_default_config()["languages"])
        self.tables = [
            load_lookups(language, ["lemma_lookup"]).get_table("lemma_lookup")
            for language in languages
        ]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LookupLemmatizer:
        return cls(config)

    def lemma(self, word: str) -> str | None:
        """The lemma of a lower-case word form, or None when no table knows it."""
        for table in self.tables:
            lemma = table.get(word)
            if lemma is not None:
                return str(lemma)
        return None

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            for token in message.get(TOKENS_NAMES[TEXT]) or []:
                token.lemma = self.lemma(token.text.lower()) or token.lemma
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
