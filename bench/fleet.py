#!/usr/bin/env python3
"""Time the send on a worker fleet (1, 2 and 4 `syndicate worker` processes) against the in-process send,
and PostgreSQL's ledger write rate, and print the figures.

Usage:
    python bench/fleet.py [--subscribers 20000] [--workers 1,2,4] [--threads 2] [--sink-delays 0.003,0]
                          [--pg-rows 20000] [--cases fleet,ledger] [--workdir /tmp/syndicate-bench-fleet]

  fleet   `syndicate send --wait` with [delivery] workers = "celery" (a real redis-server as the broker,
          SQLite state shared by the workers in WAL mode), with 1, 2 and 4 worker processes of --threads
          threads each, started before the send; and, in the same run, the in-process `syndicate send`
          with [delivery] concurrency = --threads. The SMTP server is bench/send.py's sink that only
          answers, in processes of its own sharing the port, each message taking a --sink-delays
          time to be accepted (a real server's queue write and the network): not the bottleneck
          then; at 0 the sink answers at once, and shares the cores with the workers.
          Prints messages/s, the speed-up over one worker, and each worker's peak RSS (VmHWM).
          --state postgresql: the state (of the in-process send too) in a PostgreSQL database instead.
          target: 2 workers >= 1.6 x 1 worker on a 2-core machine; RSS flat from 1 to 4 workers
  ledger  rows/s a PostgreSQL server (tests/db_servers.PostgresServer: fsync off, on this machine)
          takes of delivery-like UPDATEs (status, attempts, reply, message id, sent_at by primary key):
          one per autocommit statement, one connection and 4 connections; and batched, 500 a commit;
          then syndicate's own ledger writes (Store.mark_delivery) from 1 and 4 connections.

A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from send import CLI, FAST_SINK, PEAK, add_subscribers, free_port, make_site, start_sink, stop_sink  # noqa: E402


def fleet_site(work: Path, name: str, n: int, port: int, delivery: str, state_url: str = "") -> Path:
    toml = (f'[delivery]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
            f"max_per_connection = 100000\n{delivery}")
    if state_url:
        toml += f'\n[state]\nurl = "{state_url}"\n'

    site = make_site(work, name, toml)
    add_subscribers(site, n)
    return site


def start_worker(site: Path, threads: int, peak: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", PEAK, "worker", "--concurrency", str(threads), "--loglevel",
                             "warning"], cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "BENCH_PEAK_FILE": str(peak)})


def wait_for_workers(site: Path, pids: list[int]) -> None:
    from datetime import datetime, timedelta, timezone

    from syndicate.config import load_config
    from syndicate.state import open_store

    deadline = time.monotonic() + 60
    config = load_config(site / "syndicate.toml")
    while time.monotonic() < deadline:
        with open_store(config) as store:
            names = [w.name for w in store.workers(seen_since=datetime.now(timezone.utc) - timedelta(seconds=30))]
        if all(any(f"-{pid}@" in name for name in names) for pid in pids):
            return
        time.sleep(0.05)
    raise SystemExit("the workers did not start")


def send_seconds(site: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([*CLI, "send", "--quiet", *args], cwd=site, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def fleet_case(work: Path, n: int, counts: list[int], threads: int, delay: float, state: str) -> None:
    from tests.db_servers import PostgresServer, RedisServer

    port = free_port()
    sink = start_sink([FAST_SINK, str(port), str(delay), "2"])
    redis = RedisServer().start()
    postgres = PostgresServer().start() if state == "postgresql" else None

    def state_url() -> str:
        return postgres.new_database() if postgres else ""

    try:
        site = fleet_site(work, "in-process", n, port, f"concurrency = {threads}\n", state_url())
        seconds = send_seconds(site)
        print(f"in-process send, {threads} connections: {n / seconds:8,.0f} messages/s  ({seconds:.1f} s)")
        one = None
        for k in counts:
            site = fleet_site(work, f"fleet-{k}", n, port,
                              f'workers = "celery"\nbroker = "{redis.url(k)}"\nbatch_size = 500\n', state_url())
            peaks = [work / f"peak-{k}-{i}" for i in range(k)]
            workers = [start_worker(site, threads, peak) for peak in peaks]
            try:
                wait_for_workers(site, [w.pid for w in workers])
                seconds = send_seconds(site, "--wait")
            finally:
                for w in workers:
                    w.send_signal(signal.SIGTERM)
                for w in workers:
                    w.wait(timeout=60)
            rate = n / seconds
            one = one or rate
            rss = [int(p.read_text()) // 1024 for p in peaks if p.exists()]
            print(f"fleet, {k} worker(s) x {threads} threads:    {rate:8,.0f} messages/s  ({seconds:.1f} s)  "
                  f"{rate / one:.2f} x one worker   peak RSS per worker {', '.join(f'{r} MB' for r in rss)}")
    finally:
        redis.close()
        if postgres:
            postgres.close()
        stop_sink(sink)


def ledger_case(rows: int) -> None:

    import psycopg

    from tests.db_servers import PostgresServer

    server = PostgresServer().start()
    try:
        url = server.new_database()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE delivery (issue_number INTEGER NOT NULL, subscriber_id INTEGER NOT NULL, "
                         "status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, queued_at TEXT NOT NULL, "
                         "sent_at TEXT, message_id TEXT NOT NULL DEFAULT '', reply TEXT NOT NULL DEFAULT '', "
                         "PRIMARY KEY (issue_number, subscriber_id))")
            conn.execute("INSERT INTO delivery SELECT 1, i, 'queued', 0, '2026-12-01T00:00:00+00:00' "
                         "FROM generate_series(1, %s) i", (rows * 3,))
        update = ("UPDATE delivery SET status = 'sent', attempts = attempts + 1, reply = %s, message_id = %s, "
                  "sent_at = %s WHERE issue_number = 1 AND subscriber_id = %s")

        def params(i: int) -> tuple[str, str, str, int]:
            return (f"250 2.0.0 Ok: queued as {i}", f"<issue1.{i}.0123456789abcdef@example.org>",
                    "2026-12-01T12:00:00.123456+00:00", i)

        def one_by_one(ids: range) -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                for i in ids:
                    conn.execute(update, params(i))

        start = time.perf_counter()
        one_by_one(range(1, rows + 1))
        print(f"PostgreSQL ledger, one UPDATE per commit, 1 connection:  {rows / (time.perf_counter() - start):8,.0f} "
              "rows/s")
        print(f"PostgreSQL ledger, one UPDATE per commit, 4 connections: "
              f"{in_threads(one_by_one, rows + 1, rows, 4):8,.0f} rows/s")
        start = time.perf_counter()
        with psycopg.connect(url) as conn:
            for first in range(2 * rows + 1, 3 * rows + 1, 500):
                with conn.cursor() as cur:
                    cur.executemany(update, [params(i) for i in range(first, min(first + 500, 3 * rows + 1))])
                conn.commit()
        print(f"PostgreSQL ledger, batched, 500 UPDATEs per commit:      {rows / (time.perf_counter() - start):8,.0f} "
              "rows/s")
        store_marks(server.new_database(), rows)
    finally:
        server.close()


def store_marks(url: str, rows: int) -> None:
    """syndicate's own ledger writes (Store.mark_delivery, each one a commit of its own: no lock but its
    row's), from 1 and from 4 connections at once."""
    from datetime import datetime, timezone

    from syndicate.state import Issue, Store

    now = datetime.now(timezone.utc)
    with Store(url) as store, store.transaction():
        store.import_subscribers(((f"r{i}@example.org", "", "active") for i in range(2 * rows)), source="bench",
                                 now=now)
        store.record_issue(Issue(1, now, "s", "p", (), "n", "h", "t", "w"), now)
        store.queue_delivery(1, now)

    def marks(ids: range) -> None:
        with Store(url) as store:
            for i in ids:
                store.mark_delivery(1, i, "sent", now=now, reply="250 2.0.0 Ok", message_id=f"<{i}@example.org>")

    for connections, first in ((1, 1), (4, rows + 1)):
        print(f"syndicate's ledger (Store.mark_delivery), {connections} connection(s): "
              f"{in_threads(marks, first, rows, connections):8,.0f} rows/s")


def in_threads(work: Any, first: int, rows: int, threads: int) -> float:
    """Rows a second of ``work(ids)`` over ``rows`` ids from ``first``, shared by ``threads`` threads at once."""
    import threading

    share = rows // threads
    running = [threading.Thread(target=work, args=(range(first + t * share, first + (t + 1) * share),))
               for t in range(threads)]
    start = time.perf_counter()
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return threads * share / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workdir", default="/tmp/syndicate-bench-fleet")
    ap.add_argument("--subscribers", type=int, default=20_000)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--threads", type=int, default=2, help="threads per worker (and in-process connections)")
    ap.add_argument("--sink-delays", default="0.003,0", help="seconds the sink takes a message; one fleet run each")
    ap.add_argument("--pg-rows", type=int, default=20_000)
    ap.add_argument("--cases", default="fleet,ledger")
    ap.add_argument("--state", choices=("sqlite", "postgresql"), default="sqlite",
                    help="where the fleet's state is: the SQLite file the workers share, or a PostgreSQL database")
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    cases = args.cases.split(",")
    try:
        for delay in [float(d) for d in args.sink_delays.split(",")] if "fleet" in cases else []:
            print(f"{os.cpu_count()} cores; {args.subscribers:,} subscribers; sink delay {delay * 1000:g} ms; "
                  f"state in {args.state}")
            fleet_case(work, args.subscribers, [int(k) for k in args.workers.split(",")], args.threads, delay,
                       args.state)
        if "ledger" in cases:
            ledger_case(args.pg_rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
