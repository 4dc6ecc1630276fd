"""The inner parts of `actions.catalogue`, one concept per module; import from there.

Why not a package called actions/catalogue/: the action server (`python -m rasa_sdk
--actions actions`) imports every subpackage of actions/ through pkgutil.walk_packages,
which first imports a subpackage by its bare name. In the brain environment the name
`catalogue` is taken by the PyPI package spaCy depends on, so walk_packages would walk
that package instead and the action server would exit at start. `_catalogue` is free.
"""
