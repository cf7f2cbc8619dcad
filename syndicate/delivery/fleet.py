"""The worker fleet on Celery and Redis: the app, its one task, and the ``syndicate worker`` process.

Imported only when the settings ask for it ([delivery] workers = "celery", or ``syndicate worker``):
Celery and Redis are the optional ``scale`` extra. The logic of the fleet is Celery-free, in
:mod:`~syndicate.delivery.batches`; this module gives it a broker and a worker to run in.

A worker is one OS process with a pool of threads (``--concurrency``), each sending one batch
at a time on its own SMTP connection: a ``kill -9`` loses exactly the messages that process had
in flight (at most one per thread and connection), and nothing of any other worker. A task is
acknowledged only once it has finished (``acks_late``; a task whose worker died is delivered
again, ``task_reject_on_worker_lost``), each worker takes one task per thread at a time
(``worker_prefetch_multiplier = 1``), and Redis hands an unacknowledged task to another worker
after [delivery] claim_lease (``visibility_timeout``), when the ledger would let one take it over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import warnings
from datetime import timedelta
from queue import SimpleQueue
from typing import Any
from urllib.parse import urlsplit

from ..config import BROKER_ENV, Config, broker_url, mask_password
from ..errors import ConfigError, DeliveryError
from ..state import open_store
from ..state.fleet import Batch
from .batches import send_batch, sweep, sweep_every
from .message import MessageFactory
from .ratelimit import FleetRateLimiter
from .send import pick_issue, utc_now
from .transport import Transport, make_transport

log = logging.getLogger(__name__)

TASK = "syndicate.send_batch"


def make_app(config: Config) -> Any:
    """The Celery app of the fleet configured in [delivery]."""
    try:
        from celery import Celery
    except ImportError as err:
        raise ConfigError(["[delivery] workers = \"celery\" needs Celery and Redis: pip install 'syndicate[scale]'."]) \
            from err
    url = broker_url(config.delivery)
    if not url:
        raise ConfigError([f"the worker fleet needs a broker: set [delivery] broker = \"redis://localhost:6379/0\", "
                           f"or ${BROKER_ENV}."])
    app = Celery("syndicate", broker=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": int(config.delivery.claim_lease)},
        task_default_queue=config.delivery.queue,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for its broker, however long it is away
        # A task keeps running while the broker is away: its claim in the ledger, not the broker's
        # delivery, keeps it the only one sending its batch.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_enable_remote_control=False,
        worker_send_task_events=False,
    )
    app.task(name=TASK, ignore_result=True)(_run_task)
    return app


class CeleryBroker:
    """The broker as :mod:`~syndicate.delivery.batches` sees it: put a batch on the queue, count what waits."""

    def __init__(self, config: Config, app: Any = None) -> None:
        self.app = app or make_app(config)
        self.queue = config.delivery.queue
        self.shown = mask_password(broker_url(config.delivery))

    def enqueue(self, batch: Batch) -> None:
        try:
            self.app.send_task(TASK, args=(batch.issue, batch.first), queue=self.queue, retry=True,
                               retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5})
        except Exception as err:  # noqa: BLE001 - kombu's and redis's errors, all of them "unreachable"
            raise DeliveryError(f"cannot reach the broker {self.shown} ({err})", fatal=True) from err

    def waiting(self) -> int | None:
        try:
            with self.app.connection_for_read() as connection:
                channel = connection.default_channel
                try:
                    return channel.queue_declare(queue=self.queue, passive=True).message_count
                except connection.channel_errors:  # no such queue: nothing waits on it
                    return 0
        except Exception:  # noqa: BLE001 - the broker is away: it cannot say
            return None

    def close(self) -> None:
        self.app.close()


_CURRENT: _Worker | None = None


def _run_task(issue: int, first: int) -> None:
    if _CURRENT is None:
        raise RuntimeError(f"{TASK} runs in 'syndicate worker' only")
    _CURRENT.send(issue, first)


class _Worker:
    """What one ``syndicate worker`` process keeps: its settings, the fleet's rate limit, each issue's
    message factory, each thread's connections, and the thread that beats and sweeps."""

    def __init__(self, config: Config, app: Any, *, name: str, concurrency: int, queues: list[str]) -> None:
        self.config = config
        self.name = name
        self.concurrency = concurrency
        self.queues = queues
        self.broker = CeleryBroker(config, app)
        settings = config.delivery
        server = f"{settings.host}:{settings.port}" if settings.transport == "smtp" else "file"
        self.limiter = FleetRateLimiter(broker_url(settings), settings.rate, key=f"syndicate:rate:{server}")
        self.factories: dict[int, MessageFactory] = {}
        self.lock = threading.Lock()
        self.local = threading.local()
        self.opened: list[Transport] = []
        self.stopping = threading.Event()
        self.tender: threading.Thread | None = None

    def send(self, issue: int, first: int) -> None:
        started = time.monotonic()
        report = send_batch(self.config, issue, first, limiter=self.limiter, factory=self._factory(issue),
                            transports=self._transports(issue))
        if report is None:
            log.info("issue #%d, batch from subscriber %d: another worker has it", issue, first)
            return
        log.info("issue #%d, batch from subscriber %d: %d sent, %d failed, %d skipped in %.1f s",
                 issue, first, report.sent, report.failed, report.skipped, time.monotonic() - started)
        for error in report.errors:
            log.error("issue #%d: %s", issue, error)

    def _factory(self, issue: int) -> MessageFactory:
        with self.lock:
            if issue not in self.factories:
                with open_store(self.config) as store:
                    self.factories[issue] = MessageFactory(pick_issue(store, issue), self.config)
            return self.factories[issue]

    def _transports(self, issue: int) -> SimpleQueue[Transport]:
        """This thread's connections, kept from batch to batch (so [delivery] max_per_connection holds
        as in-process); an outbox folder is the issue's own."""
        key = issue if self.config.delivery.transport == "file" else 0
        pools = self.local.__dict__.setdefault("pools", {})
        if key not in pools:
            pools[key] = SimpleQueue()
            for _ in range(self.config.delivery.concurrency):
                transport = make_transport(self.config, issue)
                with self.lock:
                    self.opened.append(transport)
                pools[key].put(transport)
        return pools[key]

    def start(self, **_: Any) -> None:
        self.tender = threading.Thread(target=self._tend, name="syndicate-sweep", daemon=True)
        self.tender.start()

    def _tend(self) -> None:
        """Beat (this worker is alive) and sweep (queue again what is left in the ledger), every few seconds."""
        every = sweep_every(self.config)
        store = None
        failing = False
        while True:
            try:
                store = store or open_store(self.config)
                now = utc_now()
                store.beat(self.name, host=socket.gethostname(), pid=os.getpid(), concurrency=self.concurrency,
                           queues=",".join(self.queues), now=now)
                store.forget_workers(seen_before=now - timedelta(days=1))
                if requeued := sweep(store, self.config, self.broker):
                    log.info("queued %d batches again (their worker died, deferred messages are due, or the "
                             "broker lost them)", requeued)
                if failing:
                    log.info("the sweep works again")
                failing = False
            except Exception as err:  # noqa: BLE001 - the database or broker away: try again at the next beat
                if not failing:
                    log.error("the sweep failed (%s); trying again every %.1f s", err, every)
                failing = True
                if store is not None:  # a new connection next time: the database may have restarted
                    _close_quietly(store)
                    store = None
            if self.stopping.wait(every):
                if store is not None:
                    store.close()
                return

    def stop(self, **_: Any) -> None:
        self.stopping.set()
        if self.tender is not None:
            self.tender.join(timeout=10)
        with open_store(self.config) as store:
            store.forget_worker(self.name)
        for transport in self.opened:
            transport.close()
        self.limiter.close()


def _close_quietly(store: Any) -> None:
    try:
        store.close()
    except Exception:  # noqa: BLE001 - its connection is broken already
        pass


def run_worker(config: Config, *, concurrency: int, queues: list[str], loglevel: str = "INFO") -> int:
    """``syndicate worker``: a Celery worker (one process, ``concurrency`` threads) sending the fleet's
    batches from ``queues``, until SIGTERM (it then finishes the batches it has, as Celery's warm
    shutdown does) or SIGINT."""
    global _CURRENT
    from celery import signals
    from celery.exceptions import CPendingDeprecationWarning

    # Celery warns that the setting above will change its default; it is set, on purpose.
    warnings.filterwarnings("ignore", category=CPendingDeprecationWarning,
                            message=".*worker_cancel_long_running_tasks_on_connection_loss.*")
    app = make_app(config)
    name = f"syndicate-{os.getpid()}@{socket.gethostname()}"
    _CURRENT = _Worker(config, app, name=name, concurrency=concurrency, queues=queues)
    signals.worker_ready.connect(_CURRENT.start, weak=False)
    signals.worker_shutdown.connect(_CURRENT.stop, weak=False)
    where = urlsplit(broker_url(config.delivery))
    log.info("syndicate worker %s: %d threads, queues %s, broker %s:%s", name, concurrency, ",".join(queues),
             where.hostname, where.port)
    worker = app.Worker(hostname=name, pool_cls="threads", concurrency=concurrency, queues=queues,
                        loglevel=loglevel.upper(), without_mingle=True, without_gossip=True, without_heartbeat=True,
                        optimization="fair")
    worker.start()
    return worker.exitcode or 0
