"""Tests of the agent-transcript importers (Claude Code, Codex, git-ai, Agent Trace, OTel)."""
