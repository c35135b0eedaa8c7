"""Document URIs ↔ the filesystem paths regions are recorded under.

The hook records the absolute path the agent used; editors may open the same file through a
symlink or a differently spelled path. Both sides are compared after resolving symlinks.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pygls.uris import from_fs_path, to_fs_path, uri_scheme


def path_of(uri: str) -> str | None:
    """The canonical path of a ``file://`` URI; ``None`` for other schemes or malformed URIs."""
    try:
        if uri_scheme(uri) != "file":
            return None
        path = to_fs_path(uri)
    except Exception:  # malformed URI: the caller logs it
        return None
    return canonical(path) if path else None


@lru_cache(maxsize=4096)
def canonical(path: str) -> str:
    return os.path.realpath(os.path.expanduser(path))


def uri_of(path: str) -> str:
    return from_fs_path(path) or f"file://{path}"
