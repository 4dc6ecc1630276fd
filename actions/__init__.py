"""Loket's brain-side code: the procedure catalogue, reply rendering and rasa-sdk actions.

`actions.catalogue` and `actions.render` are pure Python so the hub (Python 3.11+,
no Rasa) can import them to check the content; only `actions.actions` needs rasa-sdk.
"""
