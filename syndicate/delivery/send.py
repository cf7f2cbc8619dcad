"""Send an issue to every active subscriber, exactly once as far as SMTP allows.

The ledger (see ``state.ledger``) is the checkpoint: a subscriber's row is marked ``sent``
the moment the server accepts the message, and a send that is killed resumes from
the rows still ``queued`` or ``deferred``. A message in flight at the kill (accepted
by the server, not yet recorded) is sent again on resume: at most ``concurrency``
such duplicates, each with the same Message-ID. Messages are composed in this
thread, sent by one thread per connection, and recorded in this thread, so that
one SQLite connection does all the writing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from queue import SimpleQueue
from typing import TYPE_CHECKING, Protocol

from ..config import Config
from ..errors import CannotStartError, DeliveryError
from ..state import Issue, Store, Subscriber, open_store
from .lease import SendLease
from .message import MessageFactory, Outgoing
from .transport import SmtpTransport, Transport, make_transport

if TYPE_CHECKING:
    from ..state.fleet import Batch

Clock = Callable[[], datetime]


TransportFactory = Callable[[Config, "int | str"], Transport]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class DeliveryReport:
    """What one ``syndicate send`` did, and where the issue stands."""

    issue: int
    subject: str = ""
    queued: int = 0  # rows added by this run
    sent: int = 0
    deferred: int = 0  # still waiting for a retry when the run ended
    failed: int = 0
    skipped: int = 0  # unsubscribed (or bounced) since the send began
    bounced: int = 0  # subscribers marked bounced by this run
    already_sent: int = 0  # by earlier runs
    not_included: int = 0  # active subscribers who joined after the send began
    retryable: int = 0  # failed after max_attempts deferrals, when the run ended: --retry-failed tries them
    left: int = 0  # still queued (not tried yet) when the run ended: stopped, or the server went away
    seconds: float = 0.0
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    fleet: bool = False  # queued for the worker fleet ([delivery] workers = "celery")
    batches: int = 0  # of the fleet's batches queued (or queued again) by this run

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.deferred or self.interrupted or self.retryable else 0


def pick_issue(store: Store, number: int | None) -> Issue:
    issues = store.issues()
    if not issues:
        raise CannotStartError("there is no issue to send yet. Create one with: syndicate newsletter")
    if number is None:
        return issues[-1]
    for issue in issues:
        if issue.number == number:
            return issue
    raise CannotStartError(f"there is no issue #{number}; the issues are #1 to #{issues[-1].number}.")


def issues_to_send(config: Config, number: int | None = None, *, now: datetime | None = None) -> list[int]:
    """What ``syndicate send`` sends: issue ``number``; without one, the newest issue, or in
    ``per_article`` mode every issue whose send is not finished, oldest first (one
    `newsletter` run can make several), else the newest. Without ``number``, an issue set to go
    at a later time (``send --at``) is left for then.

    :raises CannotStartError: there is no issue yet, or no issue ``number``; or every issue it
        would send is set to go later.
    """
    now = now or utc_now()
    with open_store(config) as store:
        newest = pick_issue(store, number).number
        if number is not None:
            return [number]
        numbers = (store.unsent_issues() or [newest]) if config.per_article else [newest]
        later = {n: at for n in numbers if (at := store.send_at(n)) is not None and at > now
                 and not store.send_started(n)}
    if later and len(later) == len(numbers):
        first = min(later)
        when = later[first].astimezone(config.tz).strftime("%Y-%m-%d %H:%M %Z")
        raise CannotStartError(f"issue #{first} is set to go at {when}" + (f" (and {len(later) - 1} more later)"
                               if len(later) > 1 else "") + f"; nothing sent now. To send it now: syndicate send "
                               f"{first}; to take it off the schedule: syndicate send --cancel {first}")
    return [n for n in numbers if n not in later]


class RateLimiter:
    """At most ``rate`` acquisitions in any one-second window (0: no limit), across threads."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.times: deque[float] = deque()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        if self.rate <= 0:
            return
        # A window of one second (or 1/rate seconds below one message a second) holding
        # rate × window messages: 20/s is 20 in any second, 0.5/s is 1 in any 2 seconds.
        window = max(1.0, 1.0 / self.rate)
        limit = max(1, int(self.rate * window))
        while True:
            with self.lock:
                now = time.monotonic()
                while self.times and now - self.times[0] >= window:
                    self.times.popleft()
                if len(self.times) < limit:
                    self.times.append(now)
                    return
                delay = window - (now - self.times[0])
            time.sleep(delay)


def deliver_issue(
    config: Config,
    *,
    issue_number: int | None = None,
    include_new: bool = False,
    clock: Clock = utc_now,
    transport_factory: TransportFactory = make_transport,
    on_progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
    wait_for_retries: bool = True,
    retry_failed: bool = False,
    follow: bool = False,
) -> DeliveryReport:
    """Send issue ``issue_number`` (the newest by default) to every active subscriber.

    Resumes a send that stopped; run after a complete send, sends nothing. Deferred
    messages are retried within the run after [delivery] retry_delay, doubling,
    until max_attempts; what is still deferred then waits for the next run. Without
    ``wait_for_retries`` (the scheduler's one pass), the run does not wait for them. A
    message that stayed deferred max_attempts times is failed, and tried again only with
    ``retry_failed`` (a message the server refused for good, 5xx, never is).

    With [delivery] workers = "celery", the send is queued for the worker fleet, in batches, and
    this returns at once; with ``follow``, once the fleet has finished it (deferred messages
    retried as above), reporting what it did.

    :raises DeliveryError: (fatal) nothing can be sent: the server is down, the login
        is refused. Nothing is marked sent.
    :raises SendBusy: another process is sending this issue (nothing is wrong; nothing sent).
    """
    stop = stop or threading.Event()
    started = time.monotonic()
    with open_store(config) as store:
        issue = pick_issue(store, issue_number)
        report = DeliveryReport(issue=issue.number, subject=issue.subject)
        lease = SendLease(store, issue.number, ttl=lease_ttl(config), clock=clock)
        lease.take()  # one sender per issue: raises SendBusy, naming the one that sends it
        try:
            if retry_failed:
                with store.transaction():
                    store.requeue_retryable(issue.number)
            if config.delivery.workers == "celery":
                from .batches import dispatch

                dispatch(store, issue, lease, report, config, include_new=include_new, clock=clock,
                         on_progress=on_progress, stop=stop, follow=follow)
            else:
                _deliver(store, issue, lease, report, config, include_new=include_new, clock=clock,
                         transport_factory=transport_factory, on_progress=on_progress, stop=stop,
                         wait_for_retries=wait_for_retries)
            report.retryable = store.retryable_failures(issue.number)
        finally:
            lease.release()
    report.seconds = time.monotonic() - started
    return report


def lease_ttl(config: Config) -> timedelta:
    """How long a send's lease lasts unrenewed: longer than any one wait on the SMTP server."""
    return timedelta(seconds=max(60.0, 4 * config.delivery.timeout))


def _deliver(store: Store, issue: Issue, lease: SendLease, report: DeliveryReport, config: Config, *,
             include_new: bool, clock: Clock, transport_factory: TransportFactory,
             on_progress: Callable[[int, int], None] | None, stop: threading.Event,
             wait_for_retries: bool) -> None:
    """The send itself, under the issue's lease."""
    settings = config.delivery
    with store.transaction():
        report.queued = store.queue_delivery(issue.number, clock(), include_new=include_new)
    counts = store.delivery_counts(issue.number)
    report.already_sent = counts.get("sent", 0)
    report.not_included = store.not_queued(issue.number)
    todo = counts.get("queued", 0) + counts.get("deferred", 0)
    if todo == 0:
        return
    factory = MessageFactory(issue, config)
    opened = open_transports(config, issue.number, transport_factory)
    transports: SimpleQueue[Transport] = SimpleQueue()
    for transport in opened:
        transports.put(transport)
    try:
        sender = Sender(store, factory, transports, RateLimiter(settings.rate), config, clock, report, lease,
                        batched=all(getattr(t, "idempotent", False) for t in opened))
        done = 0
        while not stop.is_set():
            for _ in sender.run_pass(issue.number, stop):
                done += 1
                if on_progress:
                    on_progress(done, todo)
            retry = store.next_retry(issue.number)
            if retry is None or stop.is_set() or not wait_for_retries:
                break
            while not stop.is_set() and clock() < retry:
                sender.keep_lease(stop)
                time.sleep(min(0.2, max(0.0, (retry - clock()).total_seconds())))
    except KeyboardInterrupt:
        stop.set()
        report.interrupted = True
    finally:
        for transport in opened:
            transport.close()
    report.interrupted = report.interrupted or stop.is_set()
    counts = store.delivery_counts(issue.number)
    report.deferred, report.left = counts.get("deferred", 0), counts.get("queued", 0)


def open_transports(config: Config, issue_number: int, transport_factory: TransportFactory = make_transport
                    ) -> list[Transport]:
    """[delivery] concurrency transports for the issue, SMTP ones connected.

    :raises DeliveryError: (fatal) a refused login or a dead server; none is left open.
    """
    opened: list[Transport] = []
    try:
        for _ in range(config.delivery.concurrency):
            opened.append(transport_factory(config, issue_number))
            if isinstance(opened[-1], SmtpTransport):
                opened[-1].connect()
    except BaseException:
        for transport in opened:
            transport.close()
        raise
    return opened


class Limiter(Protocol):
    def acquire(self) -> None: ...


class Renewable(Protocol):
    def keep(self) -> bool: ...


class Sender:
    """One pass over the due rows (of the issue, or of one fleet batch): compose, send on the pool
    of connections, record."""

    PAGE = 500

    def __init__(self, store: Store, factory: MessageFactory, transports: SimpleQueue[Transport],
                 limiter: Limiter, config: Config, clock: Clock, report: DeliveryReport,
                 lease: Renewable, *, batched: bool = False) -> None:
        self.store = store
        # With transports that repeat a message harmlessly (the file transport: the same file),
        # "sent" is recorded a page at a time: a million one-row commits cost more than the
        # messages. A crash loses at most a page of marks, whose messages the resume repeats.
        self.batched = batched
        self.sent: list[tuple[int, str, str, datetime]] = []
        self.lease = lease
        self.factory = factory
        self.transports = transports
        self.limiter = limiter
        self.settings = config.delivery
        self.clock = clock
        self.report = report
        self.lost = False  # the lease was taken over

    def run_pass(self, issue: int, stop: threading.Event, batch: Batch | None = None) -> Iterator[None]:
        """Yields once per row dealt with."""
        try:
            yield from self._pass(issue, stop, batch)
        finally:  # on Ctrl-C too: what was sent is recorded as sent
            self.record_sent(issue)

    def _pass(self, issue: int, stop: threading.Event, batch: Batch | None) -> Iterator[None]:
        workers = self.settings.concurrency
        with ThreadPoolExecutor(max_workers=workers) as pool:
            in_flight: dict[Future[str], tuple[Subscriber, int, Outgoing]] = {}
            after = 0
            while not stop.is_set():
                self.store.changed_elsewhere()  # statuses are as of this read
                page = (self.store.due_deliveries(issue, self.clock(), after=after, limit=self.PAGE) if batch is None
                        else self.store.due_in_batch(batch, self.clock(), after=after, limit=self.PAGE))
                if not page:
                    break
                self.record_sent(issue)
                stale = False
                for subscriber, attempts in page:
                    after = subscriber.id
                    if stop.is_set():
                        break
                    # Someone may have unsubscribed since this page was read: once another
                    # process has written to the database, look each status up again.
                    stale = stale or self.store.changed_elsewhere()
                    status = self.store.subscriber_status(subscriber.id) if stale else subscriber.status
                    if status != "active":
                        self.store.mark_delivery(issue, subscriber.id, "skipped", now=self.clock(),
                                                 reply="not active any more")
                        self.report.skipped += 1
                        yield
                        continue
                    # Wait for the rate limit here, before the lease is checked: a long wait must not
                    # outlast the lease unnoticed, while another sender takes over.
                    self.limiter.acquire()
                    self.keep_lease(stop)
                    if stop.is_set():
                        break
                    outgoing = self.factory.build(subscriber, self.clock())
                    if workers == 1:  # one connection: no thread hand-off on the hot path
                        future = _Done(self._send, outgoing, f"{subscriber.id:09d}")
                        self._record(issue, subscriber, attempts, outgoing, future, stop)
                        yield
                        continue
                    future = pool.submit(self._send, outgoing, f"{subscriber.id:09d}")
                    in_flight[future] = (subscriber, attempts, outgoing)
                    # No more in flight than connections: a kill loses track of at most
                    # `concurrency` accepted messages, which the resume sends again.
                    while len(in_flight) >= workers:
                        yield from self._collect(issue, in_flight, stop, FIRST_COMPLETED)
            yield from self._collect(issue, in_flight, stop, None)

    def keep_lease(self, stop: threading.Event) -> None:
        """Renew the issue's lease; if another sender took it over (this one stalled past its
        time to live), stop at once rather than send alongside it."""
        if not stop.is_set() and not self.lease.keep():
            stop.set()
            self.report.errors.append(f"another sender took over issue #{self.report.issue} (this one had "
                                      "stalled); stopped here, and it goes on from the ledger.")
            self.lost = True

    def _send(self, outgoing: Outgoing, key: str) -> str:
        transport = self.transports.get()
        try:
            return transport.send(outgoing, key=key)
        finally:
            self.transports.put(transport)

    def _collect(self, issue: int, in_flight: dict, stop: threading.Event, mode: str | None) -> Iterator[None]:
        done, _ = wait(list(in_flight), return_when=mode or "ALL_COMPLETED")
        for future in done:
            subscriber, attempts, outgoing = in_flight.pop(future)
            self._record(issue, subscriber, attempts, outgoing, future, stop)
            yield

    def _record(self, issue: int, subscriber: Subscriber, attempts: int, outgoing: Outgoing,
                future: Future[str] | _Done, stop: threading.Event) -> None:
        now = self.clock()
        try:
            reply = future.result()
        except DeliveryError as err:
            if err.fatal:
                stop.set()
                self.report.errors.append(err.message)
                return  # still queued: the next run sends it
            if err.permanent:
                self.store.mark_delivery(issue, subscriber.id, "failed", now=now, reply=err.message,
                                         message_id=outgoing.message_id)
                self.report.failed += 1
                if self.store.record_bounce(subscriber.id, bounce_after=self.settings.bounce_after, now=now):
                    self.report.bounced += 1
            elif attempts + 1 >= self.settings.max_attempts:
                self.store.mark_delivery(issue, subscriber.id, "failed", now=now, reply=err.message,
                                         message_id=outgoing.message_id, permanent=False)
                self.report.failed += 1
            else:
                delay = self.settings.retry_delay * 2 ** attempts
                self.store.mark_delivery(issue, subscriber.id, "deferred", now=now, reply=err.message,
                                         message_id=outgoing.message_id,
                                         next_attempt=now + timedelta(seconds=delay))
            return
        if self.batched:
            self.sent.append((subscriber.id, reply, outgoing.message_id, now))
        else:
            self.store.mark_delivery(issue, subscriber.id, "sent", now=now, reply=reply,
                                     message_id=outgoing.message_id)
        self.report.sent += 1

    def record_sent(self, issue: int) -> None:
        """Record the messages sent whose outcome is held (``batched``)."""
        self.store.mark_sent(issue, self.sent)
        self.sent = []  # only once committed: a Ctrl-C in the commit leaves them to the next try


class _Done:
    """The outcome of calling ``fn`` here and now, read as a finished Future's is (``result()``),
    without a Future's lock and condition: one connection's hot path."""

    __slots__ = ("error", "reply")

    def __init__(self, fn: Callable[..., str], *args: object) -> None:
        self.reply, self.error = "", None
        try:
            self.reply = fn(*args)
        except Exception as err:  # noqa: BLE001 - handed to the caller through result()
            self.error = err

    def result(self) -> str:
        if self.error is not None:
            raise self.error
        return self.reply


def send_test(config: Config, address: str, *, issue_number: int | None = None,
              transport_factory: TransportFactory = make_transport, clock: Clock = utc_now) -> str:
    """Send one copy of an issue to ``address``, subject marked [Test]; record nothing."""
    from .addresses import normalize_address

    email = normalize_address(address)
    with open_store(config) as store:
        issue = pick_issue(store, issue_number)
    factory = MessageFactory(issue, config, subject_prefix="[Test] ")
    preview = Subscriber(0, email, "", "active", "", None, None, "test", "test-preview", 0)
    transport = transport_factory(config, "test")
    try:  # (an SMTP transport connects on its first send; failing to is a fatal DeliveryError)
        return transport.send(factory.build(preview, clock()), key=f"test-{issue.number}")
    finally:
        transport.close()


def dry_run(config: Config, *, issue_number: int | None = None, include_new: bool = False) -> tuple[Issue, int, int]:
    """(issue, how many would be sent now, how many were sent already): changes nothing."""
    with open_store(config) as store:
        issue = pick_issue(store, issue_number)
        counts = store.delivery_counts(issue.number)
        pending = counts.get("queued", 0) + counts.get("deferred", 0)
        if not store.send_started(issue.number) or include_new:
            pending += store.not_queued(issue.number)
        return issue, pending, counts.get("sent", 0)
