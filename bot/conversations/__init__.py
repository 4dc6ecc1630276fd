"""Conversations: what is stored, how it is stored, and how a turn is handled."""
