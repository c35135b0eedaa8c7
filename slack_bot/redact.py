"""Keeps tokens and the signing secret out of every log line, whoever logs it."""

from __future__ import annotations

import logging
import re

TOKEN = re.compile(r"\bxox[abposre]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")


class Redactor(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return TOKEN.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_redaction(secrets: list[str]) -> None:
    """A filter on every handler of the root logger (filters on loggers do not see propagated records)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redactor = Redactor(secrets)
    for handler in root.handlers:
        handler.filters = [f for f in handler.filters if not isinstance(f, Redactor)]
        handler.addFilter(redactor)
