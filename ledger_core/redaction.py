"""Redaction of text a team opted in to keep (``settings.store_text``), applied before storage.

By default no prompt or code text reaches the ledger at all; when a team keeps text, secrets
(API keys, tokens, private keys, passwords in URLs, credential assignments), e-mail addresses
and the team's own ``redact_patterns`` are replaced by ``[REDACTED:<kind>]`` first. The built-in
rules follow the published formats of the issuers (prefixes and lengths), so ordinary words and
hashes are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .config import Settings
from .errors import ConfigError

# (kind, pattern); a pattern with a group named "secret" replaces only that group.
_RULES: tuple[tuple[str, str], ...] = (
    ("private-key", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"),
    ("aws-key", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    ("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
    ("slack-token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}\b"),
    ("slack-webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+"),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("google-key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    ("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}\b"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi-token", r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ("url-password", r"(?<=[a-zA-Z][a-zA-Z0-9+.\-]://)[^\s:/@]+:(?P<secret>[^\s@/]+)(?=@)"),
    ("bearer", r"(?i)\b(?:bearer|token)\s+(?P<secret>[A-Za-z0-9_\-.=+/]{16,})"),
    ("credential", r"(?i)\b[\w.\-]*(?:password|passwd|pwd|secret|api[_\-]?key|access[_\-]?key|auth[_\-]?token|client[_\-]?secret)[\w.\-]*"
                   r"[\"']?\s*[:=]\s*[\"']?(?P<secret>[^\s\"',;]{4,})"),
    ("email", r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b"),
)


@lru_cache(maxsize=32)
def _compiled(custom: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    rules = [(kind, re.compile(pattern)) for kind, pattern in _RULES]
    for index, pattern in enumerate(custom):
        try:
            rules.append(("custom", re.compile(pattern)))
        except re.error as exc:
            raise ConfigError(f"redact_patterns[{index}] {pattern!r} is not a valid regular expression: {exc}") from exc
    return tuple(rules)


def check_patterns(settings: Settings) -> None:
    """Raise ``ConfigError`` naming the first custom pattern that does not compile."""
    _compiled(tuple(settings.redact_patterns))


def _replace(kind: str) -> Any:
    def sub(match: re.Match[str]) -> str:
        if "secret" in match.re.groupindex and match.group("secret") is not None:
            start, end = match.span("secret")
            offset = match.start()
            whole = match.group(0)
            return whole[: start - offset] + f"[REDACTED:{kind}]" + whole[end - offset:]
        return f"[REDACTED:{kind}]"

    return sub


def redact(text: str, settings: Settings) -> str:
    """``text`` with every secret, e-mail address and custom pattern replaced."""
    if not text:
        return text
    for kind, pattern in _compiled(tuple(settings.redact_patterns)):
        text = pattern.sub(_replace(kind), text)
    return text


def redact_value(value: Any, settings: Settings) -> Any:
    """``redact`` applied to every string inside a JSON-like value (attrs of an entry or region)."""
    if isinstance(value, str):
        return redact(value, settings)
    if isinstance(value, Mapping):
        return {k: redact_value(v, settings) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, settings) for v in value]
    return value


def kept_text(text: str | None, settings: Settings) -> str | None:
    """What of ``text`` may be stored: nothing unless the team opted in, and then redacted."""
    if text is None or not settings.store_text:
        return None
    return redact(text, settings)
