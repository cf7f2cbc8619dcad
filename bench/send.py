#!/usr/bin/env python3
"""Time subscriber import, message composing and sending, and print the figures.

Usage:
    python bench/send.py [--import-rows 1000000] [--smtp 5000] [--file 10000,100000] [--million]
                         [--cases import,compose,smtp,concurrency,file] [--workdir /tmp/syndicate-bench-send]

Measures, on the sample content (a first issue of its 5 articles):
  import     `syndicate subscribers import` of a 1,000,000-row CSV, whole process  target <= 60 s, <= 100 MB
  export     `syndicate subscribers export` of those rows to /dev/null, whole process
  compose    finished messages (bytes) per second on one core                    target >= 5,000/s
  smtp       `syndicate send` over SMTP (ledger on) against an aiosmtpd sink in its own process,
             and plain smtplib sending the same pre-built messages over one connection to that
             sink, in the same run                                               target ratio >= 0.9
  concurrency `syndicate send` over SMTP with concurrency = 1 and 4, against the aiosmtpd sink (one
             Python process: it is the bottleneck, so 4 connections cannot be faster) and against
             a sink that is not: a few processes sharing the port (SO_REUSEPORT) that only answer,
             each message taking --sink-delay seconds to be accepted, as a real server's queue
             write and the network would                                       target 4 vs 1 >= 2.5
  file       `syndicate send` with the file transport to 10,000 and 100,000 subscribers (and
             1,000,000 with --million: ~23 GB of .eml files, written then deleted), time and
             peak RSS, which must stay flat as subscribers are streamed from the database
                                                                                 target 1M <= 200 s, <= 100 MB

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
# The peak RSS is read by the process itself (VmHWM, which exec resets): wait4's ru_maxrss starts
# at the size of the process that forked it, this script's, which would hide a small peak.
PEAK = textwrap.dedent("""
    import atexit, os
    def peak():
        with open("/proc/self/status") as f, open(os.environ["BENCH_PEAK_FILE"], "w") as out:
            out.write(next(line.split()[1] for line in f if line.startswith("VmHWM:")))
    atexit.register(peak)
    from syndicate.cli import main; main()
""")
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


# Answers SMTP and nothing more; each accepted message waits argv[2] seconds (a real server's queue
# write, and the network); argv[3] processes share the port, so the sink is not the bottleneck.
FAST_SINK = textwrap.dedent("""
    import asyncio, os, socket, sys
    port, delay, processes = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    async def session(reader, writer):
        writer.write(b"220 sink ESMTP\\r\\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                writer.write(b"354 go on\\r\\n")
                await reader.readuntil(b"\\r\\n.\\r\\n")
                if delay:
                    await asyncio.sleep(delay)
                writer.write(b"250 OK queued\\r\\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\\r\\n")
                break
            else:
                writer.write(b"250 OK\\r\\n")
            await writer.drain()
        writer.close()
    async def serve(sock):
        server = await asyncio.start_server(session, sock=sock, limit=1 << 22)
        await server.serve_forever()
    def listener():
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
        return sock
    socks = [listener() for _ in range(processes)]
    for i, sock in enumerate(socks[1:]):
        if os.fork() == 0:
            asyncio.run(serve(sock))
    print("ready", flush=True)
    if os.fork() == 0:
        asyncio.run(serve(socks[0]))
    sys.stdin.read()
    os.killpg(0, 15)
""")


def start_sink(args: list[str]) -> subprocess.Popen[str]:
    """A sink in a process (group) of its own, ready; stop it with :func:`stop_sink`."""
    sink = subprocess.Popen([sys.executable, "-c", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    sink.stdout.readline()
    return sink


def stop_sink(sink: subprocess.Popen[str]) -> None:
    sink.stdin.close()
    try:
        sink.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(sink.pid, 15)
        sink.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args: list[str], cwd: Path) -> tuple[float, int]:
    """Run a ``CLI`` command: (seconds, peak RSS in MB)."""
    peak_file = cwd / ".bench-peak"
    args = [sys.executable, "-c", PEAK, *args[3:]] if args[:3] == CLI else args
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env={**os.environ, "BENCH_PEAK_FILE": str(peak_file)}, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args[3:])} failed in {cwd}")
    peak = int(peak_file.read_text()) // 1024 if peak_file.exists() else 0
    peak_file.unlink(missing_ok=True)
    return seconds, peak


def make_site(work: Path, name: str, toml: str = "") -> Path:
    site = work / name
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    shutil.copytree(REPO / "content", site / "content")
    (site / "syndicate.toml").write_text(toml)
    subprocess.run([*CLI, "newsletter", "--now", NOW], cwd=site, check=True, stdout=subprocess.DEVNULL)
    return site


def write_csv(path: Path, n: int) -> Path:
    with open(path, "w") as fh:
        fh.write("email,name\n")
        fh.writelines(f"reader{i}@example{i % 97}.org,Reader {i}\n" for i in range(n))
    return path


def add_subscribers(site: Path, n: int) -> tuple[float, int]:
    """Import ``n`` subscribers into the site: (seconds, peak RSS in MB) of the import."""
    csv = write_csv(site / "subscribers.csv", n)
    try:
        return run([*CLI, "subscribers", "import", str(csv)], site)
    finally:
        csv.unlink()


def export_seconds(site: Path) -> float:
    start = time.perf_counter()
    subprocess.run([*CLI, "subscribers", "export"], cwd=site, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


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
    ap.add_argument("--import-rows", type=int, default=1_000_000)
    ap.add_argument("--smtp", type=int, default=5_000, help="subscribers for the SMTP comparison")
    ap.add_argument("--file", default="10000,100000", help="subscriber counts for the file transport")
    ap.add_argument("--million", action="store_true", help="add the file transport to 1,000,000 (~23 GB written)")
    ap.add_argument("--concurrency-subscribers", type=int, default=3_000,
                    help="subscribers for the concurrency comparison")
    ap.add_argument("--sink-delay", type=float, default=0.003,
                    help="seconds the fast sink takes to accept each message")
    ap.add_argument("--sink-processes", type=int, default=2, help="processes of the fast sink")
    ap.add_argument("--cases", default="import,compose,smtp,concurrency,file", help="which of the cases to run")
    opts = ap.parse_args()
    cases = set(opts.cases.split(","))
    work = Path(opts.workdir)
    work.mkdir(parents=True, exist_ok=True)

    if "import" in cases:
        site = make_site(work, "import")
        seconds, peak = add_subscribers(site, opts.import_rows)
        print(f"import     {opts.import_rows:,} rows: {seconds:.1f} s, peak {peak} MB (whole process)", flush=True)
        print(f"export     {opts.import_rows:,} rows: {export_seconds(site):.1f} s (whole process)", flush=True)
        shutil.rmtree(site, ignore_errors=True)

    if "compose" in cases:
        site = make_site(work, "compose")
        rate, size = compose_rate(site)
        print(f"compose    {rate:,.0f} messages/s on one core ({size / 1000:.0f} KB each)", flush=True)

    if "smtp" in cases:
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
                  f"{ours:,.0f} messages/s  ratio {ours / plain:.2f}", flush=True)
        finally:
            sink.stdin.close()
            sink.wait()

    if "concurrency" in cases:
        n = opts.concurrency_subscribers
        sinks = [("aiosmtpd, one process", lambda port: [SINK, str(port)]),
                 (f"{opts.sink_processes} processes, {opts.sink_delay * 1000:g} ms to accept",
                  lambda port: [FAST_SINK, str(port), str(opts.sink_delay), str(opts.sink_processes)])]
        for label, sink_args in sinks:
            port = free_port()
            sink = start_sink(sink_args(port))
            try:
                rates = {}
                for concurrency in (1, 4):
                    site = make_site(work, f"concurrency-{concurrency}",
                                     f'[delivery]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
                                     f'security = "none"\nconcurrency = {concurrency}\n')
                    add_subscribers(site, n)
                    seconds, _ = run([*CLI, "send", "--quiet"], site)
                    rates[concurrency] = n / seconds
                    shutil.rmtree(site, ignore_errors=True)
                print(f"concurrency sink {label}: 1 connection {rates[1]:,.0f} messages/s, 4 connections "
                      f"{rates[4]:,.0f} messages/s  ratio {rates[4] / rates[1]:.2f} ({n:,} subscribers, "
                      "whole process)", flush=True)
            finally:
                stop_sink(sink)

    if "file" in cases:
        sizes = [int(x) for x in opts.file.split(",") if x] + ([1_000_000] if opts.million else [])
        # The outboxes are deleted at the end, not after each size: ext4 makes files several times
        # slower for minutes after many were deleted (its inode allocator passes over the
        # recently deleted ones), which would time the last deletion, not the send.
        made = []
        for n in sizes:
            site = make_site(work, f"file-{n}")
            made.append(site)
            add_subscribers(site, n)
            seconds, peak = run([*CLI, "send", "--quiet"], site)
            print(f"file       {n:,} subscribers: {seconds:.1f} s ({n / seconds:,.0f} messages/s), "
                  f"peak RSS {peak} MB", flush=True)
        for site in made:
            shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main()
