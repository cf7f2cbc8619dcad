"""What the links in emails may do, checked against the subscriber they name.

Each token is read against the subscriber's own binding (see ``tokens``): their secret
for unsubscribe links, the nonce of their latest sign-up for confirmation links. GET
and HEAD only look; the changes are made by a POST (a page's button, or RFC 8058's
one-click unsubscribe from the mail client).
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..config import Config
from ..state import Subscriber, open_store
from ..tokens import BadToken, Signer


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def read_link(config: Config, signer: Signer, token: str, purpose: str) -> Subscriber:
    """The subscriber a confirm or unsubscribe link names, once the link checks out.

    :raises BadToken: the link is damaged, forged, replaced by a newer one, expired, or its
        subscriber is gone.
    """
    with open_store(config) as store:
        def binding(subscriber_id: int) -> str | None:
            found = store.subscriber_by_id(subscriber_id)
            if found is None:
                return None
            return found.secret if purpose == "unsubscribe" else (found.confirm_nonce or "")

        subscriber_id = signer.read(token, purpose, binding=binding)
        subscriber = store.subscriber_by_id(subscriber_id)
    if subscriber is None:  # removed between the two reads
        raise BadToken("this subscription no longer exists.")
    return subscriber


def confirm(config: Config, subscriber: Subscriber) -> str:
    """Make a pending subscriber active. Returns what they are now: "active" (just now, or
    before), or the status that no old link may change ("unsubscribed", "bounced")."""
    with open_store(config) as store, store.transaction():
        store.confirm_subscriber(subscriber.id, now=_now())
        current = store.subscriber_by_id(subscriber.id)
    return current.status if current else "gone"


def unsubscribe(config: Config, subscriber: Subscriber) -> None:
    with open_store(config) as store, store.transaction():
        store.unsubscribe_id(subscriber.id, now=_now())
