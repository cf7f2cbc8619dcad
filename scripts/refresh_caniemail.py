#!/usr/bin/env python3
"""Rebuild syndicate/newsletter/caniemail.json, the snapshot of caniemail.com's support data
that ``syndicate check --email`` reads, from the ``caniemail`` package on npm.

Usage:
    python scripts/refresh_caniemail.py [--version 2.0.2] [--tarball caniemail-2.0.2.tgz]

It runs ``npm pack caniemail@VERSION`` in a temporary folder (or reads ``--tarball``, a file
that command made), reads the package's data/caniemail.json and LICENSE from the tarball
without unpacking it, and writes the compact snapshot and its licence beside the code:

    syndicate/newsletter/caniemail.json         the HTML, CSS and image-format features only:
                                                slug, title, category, url, the support of the
                                                last version caniemail lists for each client
                                                ("y", "n" or "a", with "#n" note numbers;
                                                unknown support is left out) and the notes
    syndicate/newsletter/caniemail-LICENSE.txt  the package's LICENSE, as it is (MIT), and the
                                                notice of caniemail.com's own (MIT)

The JSON is deterministic (sorted keys, one feature a line), so a refresh that changes
nothing rewrites nothing, and one that does changes only the lines of the features that
changed. It prints what changed: the version, features added or removed, support changed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "syndicate" / "newsletter"
SNAPSHOT = "caniemail.json"
LICENCE = "caniemail-LICENSE.txt"
CATEGORIES = ("css", "html", "image")  # "others" (AMP, BIMI) is not in an email's HTML

#: The npm package's data is caniemail.com's, whose own MIT notice its LICENSE does not repeat.
UPSTREAM = """
---

The support data itself comes from caniemail.com (https://github.com/hteumeuleu/caniemail),
also under the MIT License: Copyright (c) 2019 Rémi Parmentier.
"""


def npm_pack(version: str, folder: Path) -> Path:
    """``npm pack caniemail@version`` into ``folder``; the tarball it wrote."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is not installed: install Node.js, or pass --tarball with a caniemail .tgz.")
    result = subprocess.run([npm, "pack", f"caniemail@{version}", "--pack-destination", str(folder), "--silent"],
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        sys.exit(f"'npm pack caniemail@{version}' failed:\n{result.stderr.strip()}")
    return folder / result.stdout.strip().splitlines()[-1]


def read_package(tarball: Path) -> tuple[dict, dict, str]:
    """The package.json, data/caniemail.json and LICENSE of an npm tarball (nothing unpacked)."""
    wanted = {"package/package.json": None, "package/data/caniemail.json": None, "package/LICENSE": None}
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            if member.name in wanted and member.isfile():
                wanted[member.name] = tar.extractfile(member).read()  # type: ignore[union-attr]
    missing = [name for name, data in wanted.items() if data is None]
    if missing:
        sys.exit(f"{tarball} lacks {', '.join(missing)}: is it the caniemail package?")
    return (json.loads(wanted["package/package.json"]), json.loads(wanted["package/data/caniemail.json"]),
            wanted["package/LICENSE"].decode("utf-8"))


def compact(package: dict, data: dict) -> dict:
    """The snapshot: what the email check reads, and where it came from."""
    features = {}
    used: set[tuple[str, str]] = set()
    for feature in data["data"]:
        if feature["category"] not in CATEGORIES:
            continue
        support: dict[str, dict[str, str]] = {}
        for family, platforms in feature["stats"].items():
            for platform, versions in platforms.items():
                latest = list(versions.values())[-1].strip()  # as caniemail.com shows it: the last version
                if latest[:1] in ("y", "n", "a"):
                    support.setdefault(family, {})[platform] = latest
                    used.add((family, platform))
        entry = {"title": feature["title"], "category": feature["category"], "url": feature["url"],
                 "support": support, "notes": feature.get("notes_by_num") or {}}
        if feature.get("notes"):
            entry["note"] = feature["notes"]
        features[feature["slug"]] = entry
    names = data["nicenames"]
    return {
        "source": {"package": package["name"], "version": package["version"], "licence": LICENCE,
                   "data_updated": data.get("last_update_date", ""), "homepage": "https://www.caniemail.com/"},
        "families": {f: names["family"].get(f, f) for f, _ in sorted(used)},
        "platforms": {p: names["platform"].get(p, p) for _, p in sorted(used)},
        "features": features,
    }


def dump(snapshot: dict) -> str:
    """The snapshot as JSON: sorted keys, one feature a line (for short diffs)."""
    def one(value: object) -> str:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    parts = [f"{one(key)}:{one(snapshot[key])}" for key in sorted(snapshot) if key != "features"]
    features = ",\n".join(f"{one(slug)}:{one(entry)}" for slug, entry in sorted(snapshot["features"].items()))
    return "{" + ",\n".join(parts) + ',\n"features":{\n' + features + "\n}}\n"


def changes(old: dict, new: dict) -> list[str]:
    """What differs between two snapshots, one line each."""
    lines = []
    if old.get("source", {}).get("version") != new["source"]["version"]:
        lines.append(f"version: {old.get('source', {}).get('version')} -> {new['source']['version']}")
    before, after = old.get("features", {}), new["features"]
    lines += [f"added: {slug}" for slug in sorted(after.keys() - before.keys())]
    lines += [f"removed: {slug}" for slug in sorted(before.keys() - after.keys())]
    for slug in sorted(after.keys() & before.keys()):
        was, now = _flat(before[slug]["support"]), _flat(after[slug]["support"])
        for client in sorted(was.keys() | now.keys()):
            if was.get(client) != now.get(client):
                lines.append(f"{slug}: {client} {was.get(client, '-')} -> {now.get(client, '-')}")
        if {k: v for k, v in before[slug].items() if k != "support"} != {k: v for k, v in after[slug].items()
                                                                        if k != "support"}:
            lines.append(f"{slug}: title, url or notes changed")
    return lines


def _flat(support: dict[str, dict[str, str]]) -> dict[str, str]:
    return {f"{family}/{platform}": value for family, platforms in support.items()
            for platform, value in platforms.items()}


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically, unless it holds that already."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default="latest", help="the caniemail version on npm (default: latest)")
    parser.add_argument("--tarball", type=Path, help="a caniemail .tgz made by 'npm pack' (then npm is not run)")
    parser.add_argument("--output", type=Path, default=TARGET, help=f"the folder to write to (default: {TARGET})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="caniemail-") as folder:
        tarball = args.tarball or npm_pack(args.version, Path(folder))
        package, data, licence = read_package(tarball)
    snapshot = compact(package, data)
    path = args.output / SNAPSHOT
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    written = [target.name for target, text in ((path, dump(snapshot)),
                                                (args.output / LICENCE, licence.rstrip("\n") + "\n" + UPSTREAM))
               if write_if_changed(target, text)]
    for line in changes(old, snapshot):
        print(line)
    count = len(snapshot["features"])
    print(f"caniemail {package['version']} (data of {snapshot['source']['data_updated']}): "
          f"{count} feature{'s' * (count != 1)}; "
          + (f"wrote {' and '.join(written)} in {args.output}." if written else "nothing changed."))
    return 0


if __name__ == "__main__":
    sys.exit(main())
