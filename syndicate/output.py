"""Write generated files under the output folder: contained, atomic, only when changed.

A file whose bytes are already on disk is not touched (its mtime stays, so web
servers and rsync see nothing new). Every write goes to a temporary file that
replaces the target, so a reader never sees half a feed, and a path outside the
output folder, or a path written twice in one build, is refused.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from .errors import SyndicateError


class Writer:
    """Writes files under ``root`` for one build and remembers what it wrote."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.written: dict[str, tuple[str, int]] = {}  # path → (sha256, size), every file of the build
        self.changed: list[str] = []

    def path_for(self, rel: str) -> Path:
        """The absolute path of ``rel``, which must stay inside the output folder."""
        root = os.path.realpath(self.root)
        target = os.path.realpath(os.path.join(root, rel))
        if os.path.commonpath([root, target]) != root:
            raise SyndicateError(f"refusing to write {rel!r}: it is outside {self.root}.")
        return Path(target)

    def write(self, rel: str, data: bytes) -> bool:
        """Write ``data`` to ``rel`` unless it is there already; True when the file changed."""
        if rel in self.written:
            raise SyndicateError(f"{rel} would be written twice in one build.")
        target = self.path_for(rel)
        self.written[rel] = (hashlib.sha256(data).hexdigest(), len(data))
        if _same_bytes(target, data):
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.changed.append(rel)
        return True

    def remove_stale(self, previous: dict[str, tuple[str, int]]) -> list[str]:
        """Delete files an earlier build wrote that this build did not; empty folders go too."""
        removed = []
        for rel in sorted(set(previous) - set(self.written)):
            target = self.path_for(rel)
            if target.is_file():
                target.unlink()
                removed.append(rel)
                parent = target.parent
                root = Path(os.path.realpath(self.root))
                while parent != root and parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
                    parent = parent.parent
        return removed


def _same_bytes(target: Path, data: bytes) -> bool:
    try:
        if target.stat().st_size != len(data):
            return False
        return target.read_bytes() == data
    except OSError:
        return False
