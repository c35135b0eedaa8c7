"""Fixtures of the editor end-to-end tests (the scenario lives in ``editor_scenario.py``)."""

from editor_scenario import scenario  # noqa: F401  (a fixture, used by name)
