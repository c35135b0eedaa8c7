"""What an import did, in the same shape for every agent-transcript importer."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

Progress = Callable[[str, int, int], None]  # (what, done, total), e.g. a rich progress bar
MAX_SKIPPED = 1000  # a corrupt corpus must not turn the summary into the corpus


class ImportSummary(BaseModel):
    """Counts of one import run. ``skipped`` lists (file, line number, reason), capped at
    ``MAX_SKIPPED`` items; ``skipped_count`` is the true count."""

    model_config = ConfigDict(frozen=True)

    source: str
    files: int = 0
    files_unchanged: int = 0
    files_reread: tuple[str, ...] = ()
    lines: int = 0
    entries_added: int = 0
    rework_added: int = 0
    duplicates: int = 0
    corrections: int = 0
    skipped: tuple[tuple[str, int, str], ...] = ()
    skipped_count: int = 0
    workflows: tuple[str, ...] = ()
    sessions: int = 0


class SkipLog:
    """Collects skipped lines without letting one bad corpus exhaust memory."""

    def __init__(self) -> None:
        self.items: list[tuple[str, int, str]] = []
        self.count = 0

    def add(self, file: str, line: int, reason: str) -> None:
        self.count += 1
        if len(self.items) < MAX_SKIPPED:
            self.items.append((file, line, reason))
