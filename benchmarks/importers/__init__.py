"""Benchmark of the agent-transcript importers against ccusage, and its corpus generator."""
