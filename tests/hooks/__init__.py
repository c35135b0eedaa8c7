"""Tests of the live agent hooks."""
