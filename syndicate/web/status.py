"""A subscriber's status as the links in emails change it, by the id a signed token names."""

from __future__ import annotations

from datetime import datetime, timezone

from ..config import Config
from ..state import Store


def email_of(config: Config, subscriber_id: int) -> str | None:
    with Store(config.state_path) as store:
        subscriber = store.subscriber_by_id(subscriber_id)
    return subscriber.email if subscriber else None


def set_status(config: Config, subscriber_id: int, status: str) -> str | None:
    """Set a subscriber's status by id; their address, or None if they are gone.
    A bounced address is not made active again by a confirmation link."""
    email = email_of(config, subscriber_id)
    if email is None:
        return None
    with Store(config.state_path) as store, store.transaction():
        current = store.subscriber(email)
        bounced = status == "active" and current is not None and current.status == "bounced"
        if current is not None and not bounced and current.status != status:
            store.set_status(email, status, datetime.now(timezone.utc).replace(microsecond=0))
    return email
