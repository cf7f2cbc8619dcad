"""Issue × subscribers → messages → transports: addresses, MIME, SMTP and the file outbox, the send.

The worker fleet's process (``run_worker``, Celery's) is imported when first asked for.
"""

from .._lazy import lazy_names as _lazy_names

from .addresses import CsvRow, normalize_address, read_csv
from .batches import live_within
from .lease import SendBusy
from .message import MessageFactory, Outgoing
from .send import DeliveryReport, deliver_issue, dry_run, issues_to_send, send_test
from .transport import Transport, make_transport

__all__ = ["CsvRow", "DeliveryReport", "MessageFactory", "Outgoing", "SendBusy", "Transport", "deliver_issue", "dry_run",
           "issues_to_send", "live_within", "make_transport", "normalize_address", "read_csv", "run_worker",
           "send_test"]

__getattr__ = _lazy_names(__name__, {"run_worker": "fleet"}, globals())
