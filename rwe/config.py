"""Settings: command-line flag, then environment, then `rwe.toml`, then defaults."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from rwe.errors import BadInputError

DEFAULT_CONFIG_FILE = "rwe.toml"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Settings:
    """Where the database is and how rwe names its schemas.

    `database_url` is None when rwe should use its embedded PostgreSQL server.
    """

    database_url: str | None = None
    cdm_schema: str = "cdm"
    rwe_schema: str = "rwe"
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    source: str = "embedded"  # where database_url came from: flag, env, rwe.toml, embedded
    config_file: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.database_url is None


def default_data_dir() -> Path:
    """The user's data directory for rwe (embedded server, run artefacts); `RWE_DATA_DIR` wins."""
    env = os.environ.get("RWE_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir("rwe", appauthor=False))


def check_identifier(name: str, what: str) -> str:
    """A schema name must be a plain lower-case SQL identifier (it is spliced into SQL)."""
    if not _IDENTIFIER.match(name):
        raise BadInputError(
            f"{what} {name!r} is not a plain SQL identifier",
            "Use lower-case letters, digits and underscores, starting with a letter.",
        )
    return name


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"{path} is not valid TOML: {exc}", "Fix the file's syntax.") from exc


def load_settings(
    database_url: str | None = None,
    config_file: Path | None = None,
    cdm_schema: str | None = None,
) -> Settings:
    """Resolve settings: `--database-url`, then `RWE_DATABASE_URL`, then `rwe.toml`, else embedded.

    `config_file` defaults to `RWE_CONFIG` or `./rwe.toml` when that exists.
    """
    if config_file is None:
        env_cfg = os.environ.get("RWE_CONFIG")
        if env_cfg:
            config_file = Path(env_cfg)
        elif Path(DEFAULT_CONFIG_FILE).is_file():
            config_file = Path(DEFAULT_CONFIG_FILE)
    toml: dict[str, Any] = {}
    if config_file is not None:
        if not config_file.is_file():
            raise BadInputError(
                f"configuration file {config_file} does not exist",
                "Pass an existing file with --config, or unset RWE_CONFIG.",
            )
        toml = _read_toml(config_file)
    db = toml.get("database", {})
    url, source = None, "embedded"
    if database_url:
        url, source = database_url, "flag"
    elif os.environ.get("RWE_DATABASE_URL"):
        url, source = os.environ["RWE_DATABASE_URL"], "env"
    elif db.get("url"):
        url, source = str(db["url"]), "rwe.toml"
    data_dir = Path(toml["data_dir"]).expanduser() if "data_dir" in toml else default_data_dir()
    return Settings(
        database_url=url,
        cdm_schema=check_identifier(
            cdm_schema or os.environ.get("RWE_CDM_SCHEMA") or db.get("cdm_schema", "cdm"),
            "CDM schema",
        ),
        rwe_schema=check_identifier(db.get("rwe_schema", "rwe"), "rwe schema"),
        data_dir=data_dir,
        source=source,
        config_file=config_file,
        extra=toml,
    )


def mask_url(url: str) -> str:
    """Hide the password in a connection URL (never print secrets)."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)
