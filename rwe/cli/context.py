"""Global CLI options, shared by every command module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rwe.config import Settings, load_settings
from rwe.db.connection import Database, open_database


@dataclass
class CliState:
    database_url: str | None = None
    config_file: Path | None = None
    cdm_schema: str | None = None

    def settings(self) -> Settings:
        return load_settings(self.database_url, self.config_file, self.cdm_schema)

    def database(self) -> Database:
        return open_database(self.settings())


state = CliState()
