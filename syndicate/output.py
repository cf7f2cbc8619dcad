"""Write generated files under the output folder: contained, atomic, only when changed.

A file whose bytes are already on disk is not touched (its mtime stays, so web
servers and rsync see nothing new). Every write goes to a temporary file that
replaces the target, so a reader never sees half a feed, and a path outside the
output folder, or a path written twice in one build, is refused.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from .errors import SyndicateError


#: A file of more bytes than this is written as its parts come, not held to be compared first.
STREAM_ABOVE = 8 * 2**20


class Writer:
    """Writes files under ``root`` for one build and remembers what it wrote."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.written: dict[str, int] = {}  # path → size, every file of this build
        self.changed: list[str] = []
        self._folders: set[Path] = set()  # made (or found) in this build: one mkdir each, not one a file
        self._real_root: str | None = None
        self._real_folders: dict[str, tuple[str, tuple[int, int]]] = {}  # folder → (where it is, its inode)

    def path_for(self, rel: str) -> Path:
        """The absolute path of ``rel``, which must stay inside the output folder.

        Each folder is resolved once a build (10,000 pages are in a few hundred folders); then a
        ``stat`` says it is still that very folder (not replaced by a link since) and only the
        file's own name is looked at, in case it is a link."""
        root = self._real_root or os.path.realpath(self.root)
        if os.path.isdir(root):  # resolved once it exists: a build asks for thousands of paths
            self._real_root = root
        folder, _, name = rel.rpartition("/")
        real_folder = self._folder_as_resolved(root, folder) if self._real_root and not rel.startswith("/") \
            and name not in ("", ".", "..") else None
        if real_folder is None:
            target = os.path.realpath(os.path.join(root, rel))
        else:
            target = os.path.join(real_folder, name)
            if os.path.islink(target):
                target = os.path.realpath(target)
        if os.path.commonpath([root, target]) != root:
            raise SyndicateError(f"refusing to write {rel!r}: it is outside {self.root}.")
        return Path(target)

    def _folder_as_resolved(self, root: str, folder: str) -> str | None:
        """Where ``folder`` (of a ``rel`` path) really is, if it exists inside the output folder
        and is the folder resolved earlier in this build (or now); else None."""
        path = os.path.join(root, folder) if folder else root
        try:
            st = os.stat(path)
        except OSError:
            return None  # not made yet: resolved in full, and once made, here
        known = self._real_folders.get(folder)
        if known is not None and known[1] == (st.st_dev, st.st_ino):
            return known[0]
        real = os.path.realpath(path)
        if os.path.commonpath([root, real]) != root:
            return None
        self._real_folders[folder] = (real, (st.st_dev, st.st_ino))
        return real

    def write(self, rel: str, data: bytes | Iterable[bytes]) -> bool:
        """Write ``data`` (bytes, or parts to write one after another) to ``rel``.

        Returns True when the file changed, False when those bytes were there already. Parts
        past :data:`STREAM_ABOVE` bytes are written as they come, compared with the file on disk
        on the way, so that a file of hundreds of MB is never held whole.
        """
        if rel in self.written:
            raise SyndicateError(f"{rel} would be written twice in one build.")
        target = self.path_for(rel)
        parts: list[bytes] = []
        size = 0
        pending = iter([data] if isinstance(data, bytes) else data)
        for part in pending:  # held up to STREAM_ABOVE bytes; a larger file is written as it comes
            parts.append(part)
            size += len(part)
            if size > STREAM_ABOVE:
                return self._replace(rel, target, itertools.chain(parts, pending), streamed=True)
        self.written[rel] = size
        if _same_bytes(target, parts, size):
            return False
        return self._replace(rel, target, parts)

    def _replace(self, rel: str, target: Path, parts: Iterable[bytes], streamed: bool = False) -> bool:
        """Write ``parts`` to a temporary file that then replaces ``target``; streamed, only if
        they turn out not to be the bytes on disk already."""
        try:
            if target.parent not in self._folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(target.parent)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as err:
            raise self._cannot_write(rel, err) from err
        try:
            with os.fdopen(fd, "wb") as fh:
                if streamed:
                    same, self.written[rel] = _write_comparing(fh, parts, target)
                else:
                    fh.writelines(parts)
            if streamed and same:
                os.unlink(tmp)
                return False
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException as err:
            if os.path.exists(tmp):
                os.unlink(tmp)
            if isinstance(err, OSError):
                raise self._cannot_write(rel, err) from err
            raise
        self.changed.append(rel)
        return True

    def _cannot_write(self, rel: str, err: OSError) -> SyndicateError:
        return SyndicateError(f"cannot write {self.root / rel} ({err.strerror or err}). Check that the output "
                              f"folder {self.root} can be written to and that the disk has room; the files "
                              "written before are whole.")

    def keep(self, files: dict[str, int]) -> None:
        """Count files of an earlier build as part of this one, untouched (not stale)."""
        for rel, size in files.items():
            self.written.setdefault(rel, size)

    def remove_stale(self, previous: Iterable[str]) -> list[str]:
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


def sizes_as_left(root: str | Path, outputs: Mapping[str, int]) -> Callable[[str], int | None]:
    """``as_left(rel)``: the size ``outputs`` (the last build's record: path under the output folder
    ``root`` → size) gives ``rel``, if the file on disk still has it, else None. A plain stat, no
    realpath (nothing is written here): 10,000 files in 30 ms."""
    folder = str(root)

    def as_left(rel: str) -> int | None:
        size = outputs.get(rel)
        if size is None:
            return None
        try:
            return size if os.stat(os.path.join(folder, rel)).st_size == size else None
        except OSError:
            return None
    return as_left


def all_as_left(as_left: Callable[[str], int | None], sizes: Mapping[str, int]) -> bool:
    """Whether every file of ``sizes`` (path under the output folder → size) is on disk as a build
    recorded it. ``as_left(rel)`` is the recorded size of ``rel`` if the file still has it, else
    None (see :func:`sizes_as_left`)."""
    return all(as_left(rel) == size for rel, size in sizes.items())


def _write_comparing(fh: BinaryIO, parts: Iterable[bytes], target: Path) -> tuple[bool, int]:
    """Write ``parts`` to ``fh``, comparing them with ``target`` as they go: whether they are its
    bytes, and their size."""
    size, same = 0, True
    try:
        old = open(target, "rb")  # noqa: SIM115 - closed below, on every path
    except OSError:
        old, same = None, False
    try:
        for part in parts:
            fh.write(part)
            size += len(part)
            if same:
                same = old.read(len(part)) == part  # type: ignore[union-attr]
        return same and old.read(1) == b"", size  # type: ignore[union-attr]
    finally:
        if old is not None:
            old.close()


def _same_bytes(target: Path, parts: Sequence[bytes], size: int) -> bool:
    try:
        if target.stat().st_size != size:
            return False
        with open(target, "rb") as fh:
            return all(fh.read(len(part)) == part for part in parts)
    except OSError:
        return False
