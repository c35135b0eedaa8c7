"""The Helix snippet: valid TOML that starts `opledger lsp` and adds it without dropping other servers."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

HELIX = Path(__file__).resolve().parents[2] / "editors" / "helix"


def load() -> dict:
    return tomllib.loads((HELIX / "languages.toml").read_text("utf-8"))


def test_snippet_parses_and_names_the_server_command():
    server = load()["language-server"]["opledger"]
    assert server["command"] == "opledger"
    assert server["args"] == ["lsp"]


def test_every_language_keeps_other_servers_and_appends_opledger():
    languages = load()["language"]
    names = [lang["name"] for lang in languages]
    assert {"python", "rust", "go", "typescript", "javascript"} <= set(names)
    assert len(names) == len(set(names)), "a language is configured twice"
    for lang in languages:
        servers = lang["language-servers"]
        assert servers[-1] == "opledger", lang["name"]
        assert servers.count("opledger") == 1, lang["name"]
        # language-servers replaces Helix's default, so an opledger-only list would drop the
        # language's own server.
        assert len(servers) >= 2, f"{lang['name']} would lose its default language server"


def test_commented_environment_example_is_valid_toml_when_uncommented():
    text = (HELIX / "languages.toml").read_text("utf-8")
    example = re.search(r"^# (environment = \{.*\})$", text, re.M)
    assert example, "the environment example is missing"
    parsed = tomllib.loads(example.group(1))["environment"]
    assert set(parsed) == {"OPLEDGER_STORE", "OPLEDGER_CONFIG"}


def test_guide_points_at_the_snippet_and_the_server_command():
    guide = (HELIX / "README.md").read_text("utf-8")
    assert "languages.toml" in guide and "opledger lsp" in guide


def test_the_named_command_starts_the_language_server(opledger):
    server = load()["language-server"]["opledger"]
    result = opledger(*server["args"], "--help")
    assert "stdio" in result.stdout.lower()
