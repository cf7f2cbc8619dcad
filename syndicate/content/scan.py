"""Finding the article files of the content store, and refusing those that must not be read.

Only regular files inside the content folder are read. A symbolic link that leads out of
it (to the state database's secret, to ``/etc/passwd``, to ``/dev/zero``), a FIFO or a
device, a file over :data:`~syndicate.content.limits.MAX_FILE_BYTES` and a file whose
name is not UTF-8 are each reported as a problem naming the file, and never opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .limits import MAX_FILE_BYTES
from .model import SourceFile

EXTENSIONS = (".md", ".markdown", ".txt", ".html", ".htm", ".rst")
BUNDLE_INDEXES = frozenset(f"index{ext}" for ext in EXTENSIONS)
_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket",
          stat.S_IFDIR: "a folder"}


def scan_content(content_dir: Path) -> list[SourceFile]:
    """Every article file under ``content_dir``, sorted by path; files and folders whose names
    start with ``.`` or ``_`` are skipped (Hugo's ``_index.md`` is a section's page, not an
    article), and so is everything in a page bundle (a folder with an ``index.md``) but its
    index. Those that must not be read carry the reason in ``refused``."""
    found: list[SourceFile] = []
    root = str(content_dir)
    real_root = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        # The folder's path below the root, once (not per file: 10,000 relpath calls cost 0.1 s).
        prefix = "" if dirpath == root else os.path.relpath(dirpath, root).replace(os.sep, "/") + "/"
        index = sorted(n for n in filenames if n in BUNDLE_INDEXES)
        if prefix and index:  # a page bundle: the index is the article, the rest its images and files
            dirnames[:] = []
            filenames = index[:1]
        folder = os.path.join(dirpath, "")  # with its separator: a file's path is this and its name
        for name in filenames:
            if name.startswith((".", "_")) or not name.endswith(EXTENSIONS):  # _index.md: a section page
                continue
            found.append(_look_at(folder + name, prefix + name, real_root))
    found.sort(key=lambda f: f.rel)
    return found


def _look_at(full: str, rel: str, real_root: str) -> SourceFile:
    # A name that is not UTF-8 comes as lone surrogates (surrogateescape), never ASCII.
    shown = rel if rel.isascii() else rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if shown != rel:
        return SourceFile(full, shown, 0, 0, "its name is not UTF-8 text; rename it (only its letters are shown "
                                             "here). It was not read.")
    try:
        st = os.lstat(full)
        if stat.S_ISLNK(st.st_mode):
            target = os.path.realpath(full)
            if os.path.commonpath([real_root, target]) != real_root:
                return SourceFile(full, rel, st.st_mtime_ns, 0, f"is a symbolic link to {target}, outside the "
                                  "content folder; only files inside it are read. It was not read.")
            st = os.stat(full)
    except OSError as err:
        return SourceFile(full, rel, 0, 0, f"cannot be read ({err.strerror}).")
    if not stat.S_ISREG(st.st_mode):
        kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a regular file")
        return SourceFile(full, rel, st.st_mtime_ns, 0, f"is {kind}, not a file; only regular files are read. "
                          "It was not read.")
    if st.st_size > MAX_FILE_BYTES:
        return SourceFile(full, rel, st.st_mtime_ns, st.st_size, f"is {st.st_size / 2**20:,.1f} MB; an article may "
                          f"be at most {MAX_FILE_BYTES // 2**20} MB. It was not read.")
    return SourceFile(full, rel, st.st_mtime_ns, st.st_size)


def read_source(source: SourceFile) -> bytes:
    """The file's bytes, read as the scan saw it: a regular file, at most MAX_FILE_BYTES (checked
    again on the open file, in case it changed since), never blocking on a FIFO.

    :raises OSError: it cannot be read, or is no longer a regular file of a size that may be read.
    """
    fd = os.open(source.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, "it is no longer a regular file")
        # Read what its size says, plus one byte to notice growth (not a 2 MB buffer for every file).
        parts, total, size = [], 0, min(st.st_size, MAX_FILE_BYTES) + 1
        while chunk := os.read(fd, size):
            parts.append(chunk)
            total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise OSError(0, f"it grew past {MAX_FILE_BYTES // 2**20} MB")
            size = 1 << 16
    finally:
        os.close(fd)
    return b"".join(parts)
