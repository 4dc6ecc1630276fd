"""Loket NLU: Rasa training data (YAML) and custom NLU components (nlu.components)."""
