"""Custom Rasa NLU components of Loket (registered GraphComponents, named in config.yml)."""
