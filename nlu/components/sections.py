"""SectionEntityExtractor: the `section` entity, from nlu.components.section_phrases.

Runs last, after DIETClassifier and FallbackClassifier, as it reads the intent: a message
of intent ask_section ("and the papers?") is known to ask a detail, so single words name
it too; any other message ("how much is a new identity card", proc_lost_eid) needs a
question phrase. A message DIET could not place (nlu_fallback) that asks a detail in so
many words ("c'est réservé à qui ?") becomes ask_section, unless DIET's best guess was a
procedure (then the bot asks which one, as for any unsure request).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.section_phrases import ASK_SECTION, SECTION, find_section


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class SectionEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts the `section` entity: the detail of a procedure a question asks about;
    turns an unplaced question about a detail into ask_section."""

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
    ) -> SectionEntityExtractor:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            found = find_section(message.get(TEXT) or "", intent == ASK_SECTION)
            if found is None:
                continue
            if intent == DEFAULT_NLU_FALLBACK_INTENT_NAME and not _names_a_procedure(message):
                _ask_section(message)
            ours = self.add_extractor_name([found.as_dict()])
            others = [e for e in message.get(ENTITIES, []) if e.get("entity") != SECTION]
            message.set(ENTITIES, ours + others, add_to_output=True)
        return messages


def _ranking(message: Message) -> list[dict[str, Any]]:
    """The intents DIET ranked, best first, without the fallback put before them."""
    ranking = message.get(INTENT_RANKING_KEY) or []
    return [r for r in ranking if r.get(INTENT_NAME_KEY) != DEFAULT_NLU_FALLBACK_INTENT_NAME]


def _names_a_procedure(message: Message) -> bool:
    """Whether DIET's best guess is a procedure: then "did you mean?" asks which, as for
    any unsure request; a detail of an unknown procedure would be answered for none."""
    ranking = _ranking(message)
    return bool(ranking) and str(ranking[0].get(INTENT_NAME_KEY, "")).startswith("proc_")


def _ask_section(message: Message) -> None:
    """Make the message ask_section, with DIET's confidence in it."""
    confidence = next(
        (
            r.get("confidence", 0.0)
            for r in _ranking(message)
            if r.get(INTENT_NAME_KEY) == ASK_SECTION
        ),
        0.0,
    )
    message.set(
        INTENT, {INTENT_NAME_KEY: ASK_SECTION, "confidence": confidence}, add_to_output=True
    )
