"""The send on a worker fleet, in the ledger: cut into batches, one batch sent, what is left queued again.

``syndicate send`` (:func:`dispatch`) queues the issue's rows in the ledger as an in-process
send does, cuts them into batches of [delivery] batch_size subscriber ids and puts one task per
batch on the broker. A worker (:func:`send_batch`) claims its batch in the ledger before it sends
anything, renews the claim as it goes and sends the batch's rows still due with the in-process
send's own :class:`~syndicate.delivery.send.Sender`: each outcome recorded the moment it is known,
deferred messages given the same backoff. A task delivered twice finds the batch claimed, or
nothing due in it, and sends nothing twice.

The ledger, not the broker, is the truth: :func:`sweep`, which every worker runs every few
seconds (and ``send --wait`` too), queues again every batch with rows due and nobody on it: one
whose worker died (its claim expired, or its process is gone), one with deferred messages due
again, one whose task the broker lost (a restart without persistence).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from queue import SimpleQueue
from typing import Protocol

from ..config import Config
from ..errors import DeliveryError
from ..state import Issue, Store, open_store
from ..state.fleet import Batch, Claim
from .lease import SendLease, process_gone
from .message import MessageFactory
from .send import Clock, DeliveryReport, Limiter, Sender, open_transports, pick_issue, utc_now
from .transport import Transport

log = logging.getLogger(__name__)


class Broker(Protocol):
    """Where batches wait for a worker (Celery over Redis: :class:`~syndicate.delivery.fleet.CeleryBroker`)."""

    def enqueue(self, batch: Batch) -> None:
        """Put the batch's task on the queue. :raises DeliveryError: the broker cannot be reached."""

    def waiting(self) -> int | None:
        """How many tasks wait on the queue; None when the broker cannot say."""


def claim_ttl(config: Config) -> timedelta:
    return timedelta(seconds=config.delivery.claim_lease)


def sweep_every(config: Config) -> float:
    """Seconds between two sweeps (and heartbeats) of a worker: a few within one claim lease."""
    return max(0.25, min(5.0, config.delivery.claim_lease / 8))


def live_within(config: Config) -> timedelta:
    """A worker counts as live while its last heartbeat (one a sweep) is at most this old."""
    return timedelta(seconds=4 * sweep_every(config))


def claim_gone(claim: Claim) -> bool:
    return process_gone(claim.pid, claim.host)


class BatchClaim(SendLease):
    """A worker's claim on one batch: taken before it sends, renewed as it goes (see SendLease)."""

    def __init__(self, store: Store, issue: int, first: int, *, ttl: timedelta, clock: Clock) -> None:
        super().__init__(store, issue, ttl=ttl, clock=clock)
        self.first = first
        self.name = f"batch:{issue}:{first}"

    def take(self) -> Batch | None:  # type: ignore[override]
        """The batch, or None if another live worker holds it."""
        self.renewed = time.monotonic()
        return self.store.take_batch(self.number, self.first, holder=self.holder, pid=os.getpid(), host=self.host,
                                     now=self.clock(), ttl=self.ttl, is_dead=claim_gone)

    def _renew(self) -> bool:
        return self.store.renew_batch(self.number, self.first, holder=self.holder, now=self.clock(), ttl=self.ttl)

    def release(self, hold_until: datetime | None = None) -> None:
        self.store.release_batch(self.number, self.first, holder=self.holder, hold_until=hold_until)


def send_batch(config: Config, issue: int, first: int, *, limiter: Limiter,
               transports: SimpleQueue[Transport] | None = None, factory: MessageFactory | None = None,
               clock: Clock = utc_now) -> DeliveryReport | None:
    """The body of a worker's task: send the rows of batch (``issue``, ``first``) still due.

    Returns what it did, or None when another live worker holds the batch. A fatal error (the
    SMTP server down, the login refused) leaves the rest of the batch queued, held off for one
    claim lease, and is recorded for ``send --wait`` to show. ``transports``: reused connections
    (a worker thread's); without them, the batch opens its own and closes them.
    """
    with open_store(config) as store:
        claim = BatchClaim(store, issue, first, ttl=claim_ttl(config), clock=clock)
        batch = claim.take()
        if batch is None:
            return None
        report = DeliveryReport(issue=issue)
        stop = threading.Event()
        opened: list[Transport] = []
        hold = None
        fatal = False
        try:
            factory = factory or MessageFactory(pick_issue(store, issue), config)
            if transports is None:
                opened = open_transports(config, issue)
                transports = SimpleQueue()
                for transport in opened:
                    transports.put(transport)
            sender = Sender(store, factory, transports, limiter, config, clock, report, claim)
            for _ in sender.run_pass(issue, stop, batch):
                pass
            fatal = stop.is_set() and not sender.lost
        except DeliveryError as err:
            report.errors.append(err.message)
            fatal = True
        finally:
            for transport in opened:
                transport.close()
            if fatal:
                hold = clock() + claim_ttl(config)
                store.set(f"fleet.error.{issue}", {"at": clock().isoformat(), "error": report.errors[-1]})
            claim.release(hold_until=hold)
    return report


def sweep(store: Store, config: Config, broker: Broker, *, clock: Clock = utc_now, issue: int | None = None) -> int:
    """Queue again every batch that has rows due and no worker on it; returns how many.

    A batch whose task waits on the broker is left alone, unless the broker's queue is empty and
    the task was queued over two sweeps ago: the broker lost it.
    """
    now = clock()
    lost_before = now - timedelta(seconds=2 * sweep_every(config)) if broker.waiting() == 0 else None
    batches = store.batches_to_queue(now, lost_before=lost_before, is_dead=claim_gone, issue=issue)
    for n, batch in enumerate(batches):
        try:
            broker.enqueue(batch)
        except DeliveryError as err:  # marked queued: once the broker is back, found lost and queued again
            log.warning("%s; %d batches are queued again once it answers", err.message, len(batches) - n)
            break
    return len(batches)


def dispatch(store: Store, issue: Issue, lease: SendLease, report: DeliveryReport, config: Config, *,
             include_new: bool, clock: Clock, on_progress: Callable[[int, int], None] | None,
             stop: threading.Event, follow: bool) -> None:
    """``syndicate send`` with a fleet: queue the rows and their batches, under the issue's lease;
    with ``follow``, stay until the fleet has sent them (keeping the lease, sweeping too)."""
    from .fleet import CeleryBroker

    report.fleet = True
    started = clock()
    with store.transaction():
        report.queued = store.queue_delivery(issue.number, started, include_new=include_new)
        new = store.add_batches(issue.number, size=config.delivery.batch_size, now=started)
    before = store.fleet_progress(issue.number, started)
    report.already_sent = before["sent"]
    report.not_included = store.not_queued(issue.number)
    todo = before["queued"] + before["sending"] + before["deferred"]
    broker = CeleryBroker(config)
    try:
        for n, batch in enumerate(new):
            try:
                broker.enqueue(batch)
            except DeliveryError as err:
                if n == 0:  # nothing could be queued: say so
                    raise DeliveryError(f"{err.message}. The send is queued in the ledger: once the broker answers, "
                                        "a worker's sweep (or 'syndicate send' again) puts it there.",
                                        fatal=True) from err
                break  # the rest are queued in the ledger: the sweep puts them on the broker
        report.batches = len(new) + sweep(store, config, broker, clock=clock, issue=issue.number)
        report.left = todo
        if follow and todo:
            _follow(store, issue.number, lease, report, config, broker, before, todo, clock=clock, started=started,
                    on_progress=on_progress, stop=stop)
    finally:
        broker.close()


def _follow(store: Store, issue: int, lease: SendLease, report: DeliveryReport, config: Config, broker: Broker,
            before: dict[str, int], todo: int, *, clock: Clock, started: datetime,
            on_progress: Callable[[int, int], None] | None, stop: threading.Event) -> None:
    """``send --wait``: the progress of the fleet's send, until nothing of it is left to try."""
    swept = time.monotonic()
    try:
        while not stop.is_set():
            counts = store.fleet_progress(issue, clock())
            done = sum(counts[k] - before[k] for k in ("sent", "failed", "skipped"))
            if on_progress:
                on_progress(min(done, todo), todo)
            if counts["queued"] + counts["sending"] + counts["deferred"] == 0:
                break
            error = store.get(f"fleet.error.{issue}")
            if error and error["at"] >= started.isoformat():
                report.errors.append(f"a worker stopped: {error['error']} The fleet tries the rest again in "
                                     f"{config.delivery.claim_lease:g} s.")
                stop.set()
            elif not lease.keep():
                report.errors.append(f"another syndicate took over issue #{issue}; stopped following it here.")
                stop.set()
            elif time.monotonic() - swept >= sweep_every(config):
                sweep(store, config, broker, clock=clock, issue=issue)
                swept = time.monotonic()
            time.sleep(0.1)
    except KeyboardInterrupt:
        stop.set()
    counts = store.fleet_progress(issue, clock())
    report.sent, report.failed, report.skipped = (counts[k] - before[k] for k in ("sent", "failed", "skipped"))
    report.deferred = counts["deferred"]
    report.left = counts["queued"] + counts["sending"]
    report.interrupted = stop.is_set()
