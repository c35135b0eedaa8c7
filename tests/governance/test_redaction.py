"""Redaction of kept text: secrets, tokens, e-mails and custom patterns never reach the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ledger_core.config import Settings
from ledger_core.errors import ConfigError
from ledger_core.redaction import kept_text, redact
from ledger_core.store import EmbeddedStore

KEEP = Settings(store_text=True)

SECRETS = {
    "aws-key": "AKIAIOSFODNN7EXAMPLE",
    "github-token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "slack-token": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "anthropic-key": "sk-ant-api03-" + "x" * 40,
    "openai-key": "sk-proj-" + "Ab3" * 12,
    "google-key": "AIza" + "S" * 35,
    "stripe-key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_known_token_formats_are_replaced(kind):
    text = f"use {SECRETS[kind]} for the call"
    assert redact(text, KEEP) == f"use [REDACTED:{kind}] for the call"


def test_private_keys_url_passwords_credentials_and_emails():
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----"
    text = (f"key:\n{pem}\ndb postgresql://app:hunter2@db.internal:5432/x "
            "password = 'S3cr3t!' Authorization: Bearer abcdefghijklmnop1234 mail ana.lima@example.co.uk")
    out = redact(text, KEEP)
    for secret in ("b3BlbnNzaC1rZXktdjEAAAA", "hunter2", "S3cr3t!", "abcdefghijklmnop1234", "ana.lima@example.co.uk"):
        assert secret not in out
    assert "postgresql://app:[REDACTED:url-password]@db.internal" in out
    assert "[REDACTED:private-key]" in out and "[REDACTED:email]" in out


def test_ordinary_text_is_left_alone():
    text = "Refactor auth: sha 3f2a9c1e, 42 tests pass; see docs/design.md and https://example.com/a?b=c"
    assert redact(text, KEEP) == text


def test_custom_patterns_and_invalid_ones():
    custom = Settings(store_text=True, redact_patterns=[r"ACME-\d{6}"])
    assert redact("ticket ACME-123456 done", custom) == "ticket [REDACTED:custom] done"
    with pytest.raises(ConfigError, match=r"redact_patterns\[0\]"):
        redact("x", Settings(redact_patterns=["(unclosed"]))


def test_nothing_is_kept_without_opt_in():
    assert kept_text("AKIAIOSFODNN7EXAMPLE", Settings()) is None


@hsettings(max_examples=150, deadline=None)
@given(prefix=st.text(max_size=40), suffix=st.text(max_size=40), kind=st.sampled_from(sorted(SECRETS)))
def test_a_secret_never_survives_whatever_surrounds_it(prefix, suffix, kind):
    out = redact(f"{prefix} {SECRETS[kind]} {suffix}", KEEP)
    assert SECRETS[kind] not in out


@hsettings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_redaction_is_idempotent_and_total(text):
    once = redact(text, KEEP)
    assert redact(once, KEEP) == once


def test_notes_are_redacted_before_storage(opledger, ledger_env):
    Path(ledger_env["OPLEDGER_CONFIG"]).write_text('store_text = true\nredact_patterns = ["INC-\\\\d+"]\n')
    opledger("workflow", "start", "W1")
    opledger("record", "review", "W1", "--minutes", "5", "--note", "token ghp_" + "z" * 36 + " from bo@corp.io re INC-4411")
    raw = b"".join(p.read_bytes() for p in Path(ledger_env["OPLEDGER_STORE"]).rglob("*.json"))
    assert b"ghp_" not in raw and b"bo@corp.io" not in raw and b"INC-4411" not in raw
    note = EmbeddedStore(ledger_env["OPLEDGER_STORE"]).entries()[0].note
    assert note == "token [REDACTED:github-token] from [REDACTED:email] re [REDACTED:custom]"
