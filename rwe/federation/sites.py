"""`sites.toml`: the network's sites, as the coordinator reaches them (libpq URLs + options)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rwe.config import mask_url
from rwe.errors import BadInputError

# libpq connection parameters a site entry may set (TLS and timeouts pass straight through).
LIBPQ_OPTIONS = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslcrl",
    "sslpassword",
    "target_session_attrs",
    "connect_timeout",
    "application_name",
)


@dataclass(frozen=True)
class Site:
    """One site: `url` names the federated role; the password comes from `password_env`,
    PGPASSWORD or ~/.pgpass (libpq), never from the file."""

    name: str
    url: str
    libpq: dict[str, str] = field(default_factory=dict)
    password_env: str | None = None

    @property
    def display_url(self) -> str:
        return mask_url(self.url)

    def connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(self.libpq)
        if self.password_env:
            password = os.environ.get(self.password_env)
            if password is None:
                raise BadInputError(
                    f"site {self.name}: environment variable {self.password_env} is not set",
                    "Export it, or remove password_env to use PGPASSWORD or ~/.pgpass.",
                )
            kwargs["password"] = password
        return kwargs


def load_sites(path: Path) -> list[Site]:
    """Read `[[site]]` entries (name, url, optional password_env and libpq options)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BadInputError(f"no sites file {path}", "Pass --sites sites.toml.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"{path} is not valid TOML: {exc}", "Fix the file.") from exc
    entries = data.get("site")
    if not isinstance(entries, list) or not entries:
        raise BadInputError(f"{path} has no [[site]] entries", "Add one per site (name, url).")
    sites = [_parse_site(entry, path) for entry in entries]
    names = [s.name for s in sites]
    if len(set(names)) != len(names):
        raise BadInputError(f"{path} names a site twice", "Give each site a unique name.")
    return sites


def _parse_site(entry: Any, path: Path) -> Site:
    if not isinstance(entry, dict) or not entry.get("name") or not entry.get("url"):
        raise BadInputError(f"{path}: every [[site]] needs a name and a url", "Add them.")
    allowed = {"name", "url", "password_env", *LIBPQ_OPTIONS}
    extra = set(entry) - allowed
    if extra:
        raise BadInputError(
            f"{path}: site {entry['name']} has unknown key(s) {sorted(extra)}",
            f"Allowed: {', '.join(sorted(allowed))}.",
        )
    return Site(
        name=str(entry["name"]),
        url=str(entry["url"]),
        libpq={k: str(entry[k]) for k in LIBPQ_OPTIONS if k in entry},
        password_env=entry.get("password_env"),
    )
