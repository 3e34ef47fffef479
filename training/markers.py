"""Rewrite the generated part of a file between two marker lines (README tables, the registry's hashes)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ganzoo.errors import GanzooError
from ganzoo.fileio import atomic_write_text


def replace_between(path: str | os.PathLike, begin: str, end: str, body: str) -> None:
    """Replace the text between the line `begin` and the line `end` of `path` with `body` (atomically)."""
    path = Path(path)
    text = path.read_text()
    pattern = re.compile(rf"({re.escape(begin)}\n).*?({re.escape(end)})", re.S)
    if not pattern.search(text):
        raise GanzooError(f"{path} has no {begin!r} ... {end!r} markers to write between")
    body = body if body.endswith("\n") else body + "\n"
    atomic_write_text(path, pattern.sub(lambda m: m.group(1) + body + m.group(2), text))


def replace_section(path: str | os.PathLike, name: str, body: str) -> None:
    """The markdown form: between `<!-- NAME begin -->` and `<!-- NAME end -->`."""
    replace_between(path, f"<!-- {name} begin -->", f"<!-- {name} end -->", body)
