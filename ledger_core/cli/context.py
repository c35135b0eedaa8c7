"""What every command needs: settings and the store, opened lazily and once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from ..config import Settings, load_settings
from ..store import Store, open_store


@dataclass
class AppContext:
    store_location: str | None = None
    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path, store=self.store_location)
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            settings = self.settings
            options = {"lock_timeout": settings.lock_timeout} if "://" not in settings.store else {}
            if settings.store.startswith(("http://", "https://")) and settings.token:
                options = {"token": settings.token}
            self._store = open_store(settings.store, **options)
        return self._store


def ctx_of(ctx: typer.Context) -> AppContext:
    return ctx.find_root().obj
