"""Issue × subscribers → messages → transports: addresses, MIME, SMTP and the file outbox, the send."""

from .addresses import CsvRow, normalize_address, read_csv
from .lease import SendBusy
from .message import MessageFactory, Outgoing
from .send import DeliveryReport, deliver_issue, dry_run, issues_to_send, send_test
from .transport import Transport, make_transport

__all__ = ["CsvRow", "DeliveryReport", "MessageFactory", "Outgoing", "SendBusy", "Transport", "deliver_issue", "dry_run",
           "issues_to_send", "make_transport", "normalize_address", "read_csv", "send_test"]
