#!/usr/bin/env python3
"""Time subscriber import, message composing and sending, and print the figures.

Usage:
    python bench/send.py [--smtp 5000] [--file 100000] [--memory 10000,100000] [--workdir /tmp/syndicate-bench-send]

Measures, on the sample content (a first issue of its 5 articles):
  import     `syndicate subscribers import` of a 100,000-row CSV, whole process   target <= 5 s
  compose    finished messages (bytes) per second on one core                    target >= 5,000/s
  smtp       `syndicate send` over SMTP (ledger on) against an aiosmtpd sink in its own process,
             and plain smtplib sending the same pre-built messages over one connection to that
             sink, in the same run                                               target ratio >= 0.8
  file       `syndicate send` to 100,000 subscribers with the file transport     target <= 60 s
  memory     peak RSS of `syndicate send` (file transport) for 10,000 and 100,000 subscribers:
             it must stay flat, as subscribers are streamed from the database

A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CLI = [sys.executable, "-c", "from syndicate.cli import main; main()"]
NOW = "2026-11-28T12:00:00Z"

SINK = textwrap.dedent("""
    import asyncio, sys, time
    from aiosmtpd.controller import Controller
    class Count:
        n = 0
        async def handle_DATA(self, server, session, envelope):
            Count.n += 1
            return "250 OK"
    c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
    c.start()
    print("ready", flush=True)
    sys.stdin.read()
    c.stop()
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(args[3:])} failed in {cwd}")
    return time.perf_counter() - start, usage.ru_maxrss // 1024


def make_site(work: Path, name: str, toml: str = "") -> Path:
    site = work / name
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    shutil.copytree(REPO / "content", site / "content")
    (site / "syndicate.toml").write_text(toml)
    subprocess.run([*CLI, "newsletter", "--now", NOW], cwd=site, check=True, stdout=subprocess.DEVNULL)
    return site


def add_subscribers(site: Path, n: int) -> float:
    csv = site / "subscribers.csv"
    with open(csv, "w") as fh:
        fh.write("email,name\n")
        for i in range(n):
            fh.write(f"reader{i}@example{i % 97}.org,Reader {i}\n")
    seconds, _ = run([*CLI, "subscribers", "import", str(csv)], site)
    return seconds


def issue_factory(site: Path):  # noqa: ANN201 - the factory of the site's newest issue
    sys.path.insert(0, str(REPO))
    from syndicate.config import load_config
    from syndicate.delivery.message import MessageFactory
    from syndicate.state import Store

    config = load_config(site / "syndicate.toml")
    with Store(config.state_path) as store:
        issue = store.issues()[-1]
    return MessageFactory(issue, config)


def reader(n: int):  # noqa: ANN201
    from syndicate.state import Subscriber

    return Subscriber(n, f"reader{n}@example.org", f"Reader {n}", "active", "", None, None, "", f"{n:032x}", 0)


def compose_rate(site: Path, n: int = 20_000) -> tuple[float, int]:
    factory = issue_factory(site)
    now = datetime.now(timezone.utc)
    subs = [reader(i) for i in range(1000)]
    start = time.perf_counter()
    size = 0
    for i in range(n):
        size = len(factory.build(subs[i % 1000], now).data)
    return n / (time.perf_counter() - start), size


def plain_smtplib_rate(port: int, site: Path, n: int) -> float:
    """Plain smtplib over one connection, sending pre-built messages of our size."""
    factory = issue_factory(site)
    now = datetime.now(timezone.utc)
    built = [factory.build(reader(i), now).data for i in range(200)]
    smtp = smtplib.SMTP("127.0.0.1", port, local_hostname="localhost")
    start = time.perf_counter()
    for i in range(n):
        smtp.sendmail("newsletter@example.com", [f"r{i}@example.org"], built[i % 200])
    seconds = time.perf_counter() - start
    smtp.quit()
    return n / seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default="/tmp/syndicate-bench-send")
    ap.add_argument("--import-rows", type=int, default=100_000)
    ap.add_argument("--smtp", type=int, default=5_000, help="subscribers for the SMTP comparison")
    ap.add_argument("--file", type=int, default=100_000, help="subscribers for the file transport")
    ap.add_argument("--memory", default="10000,100000")
    opts = ap.parse_args()
    work = Path(opts.workdir)
    work.mkdir(parents=True, exist_ok=True)

    site = make_site(work, "import")
    print(f"import     {opts.import_rows:,} rows: {add_subscribers(site, opts.import_rows):.2f} s (whole process)")

    rate, size = compose_rate(site)
    print(f"compose    {rate:,.0f} messages/s on one core ({size / 1000:.0f} KB each)")

    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        sink.stdout.readline()
        site = make_site(work, "smtp", f'[delivery]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
                                       'security = "none"\n')
        add_subscribers(site, opts.smtp)
        plain = plain_smtplib_rate(port, site, opts.smtp)
        seconds, _ = run([*CLI, "send", "--quiet"], site)
        ours = opts.smtp / seconds
        print(f"smtp       plain smtplib, pre-built, one connection: {plain:,.0f} messages/s")
        print(f"smtp       syndicate send ({opts.smtp:,} subscribers, ledger on, whole process): "
              f"{ours:,.0f} messages/s  ratio {ours / plain:.2f}")
    finally:
        sink.stdin.close()
        sink.wait()

    site = make_site(work, "file")
    add_subscribers(site, opts.file)
    seconds, peak = run([*CLI, "send", "--quiet"], site)
    print(f"file       {opts.file:,} subscribers: {seconds:.1f} s, peak {peak} MB")
    shutil.rmtree(site / "output" / "outbox", ignore_errors=True)

    for n in [int(x) for x in opts.memory.split(",")]:
        site = make_site(work, f"memory-{n}")
        add_subscribers(site, n)
        seconds, peak = run([*CLI, "send", "--quiet"], site)
        print(f"memory     {n:,} subscribers (file transport): peak RSS {peak} MB ({seconds:.1f} s)")
        shutil.rmtree(site / "output" / "outbox", ignore_errors=True)


if __name__ == "__main__":
    main()
