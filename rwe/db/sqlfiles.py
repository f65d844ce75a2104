"""Read rwe's `.sql` files and fill their `@name` parameters strictly."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

_PARAM = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)")
SQL_ROOT = Path(str(resources.files("rwe.sql")))


def render_sql(text: str, params: dict[str, str], origin: str = "<sql>") -> str:
    """Replace `@name` with `params[name]`; an unknown name is an error, never a blank.

    (A lenient template once rendered a misspelled key as NULL in a peer project.)
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise KeyError(f"{origin}: SQL parameter @{name} has no value")
        return params[name]

    return _PARAM.sub(substitute, text)


def read_sql(relative: str, params: dict[str, str]) -> str:
    """Render `rwe/sql/<relative>` with `params`."""
    path = SQL_ROOT / relative
    return render_sql(path.read_text(encoding="utf-8"), params, relative)
