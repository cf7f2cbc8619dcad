"""Signed tokens: bound to a subscriber and a purpose, expiring, checked in constant time."""

from __future__ import annotations

import hmac
import os
import re
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syndicate.config import load_config
from syndicate.tokens import BadToken, HmacSha256, Signer, load_secret

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
SIGNER = Signer(b"secret one")


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_the_pre_keyed_hmac_is_hmac_sha256(key: bytes, message: bytes) -> None:
    # Keys shorter than, as long as and longer than SHA-256's 64-byte block.
    mac = HmacSha256(key)
    assert mac.digest(message) == hmac.digest(key, message, "sha256")
    assert mac.digest(message) == mac.digest(message)  # the kept key hashes are copied, not used up


def test_a_token_names_its_subscriber() -> None:
    assert SIGNER.read(SIGNER.make("unsubscribe", 42), "unsubscribe", now=NOW) == 42


def test_a_confirm_token_cannot_unsubscribe_and_the_reverse() -> None:
    with pytest.raises(BadToken, match="this link is not an unsubscribe link."):
        SIGNER.read(SIGNER.make("confirm", 42), "unsubscribe", now=NOW)
    with pytest.raises(BadToken, match="this link is not a confirm link."):
        SIGNER.read(SIGNER.make("unsubscribe", 42), "confirm", now=NOW)


def test_a_token_expires() -> None:
    token = SIGNER.make("confirm", 7, expires=NOW + timedelta(days=7))
    assert SIGNER.read(token, "confirm", now=NOW + timedelta(days=6)) == 7
    with pytest.raises(BadToken, match="this link has expired."):
        SIGNER.read(token, "confirm", now=NOW + timedelta(days=7, seconds=1))


@pytest.mark.parametrize("token", [
    "", "u42", "u42.0", "x.y.z", "u42.0.AAAAAAAAAAAAAAAAAAAAAA",  # malformed or unsigned
])
def test_a_malformed_or_unsigned_token_is_refused(token: str) -> None:
    with pytest.raises(BadToken):
        SIGNER.read(token, "unsubscribe", now=NOW)


def test_a_token_changed_to_another_subscriber_or_signed_elsewhere_is_refused() -> None:
    token = SIGNER.make("unsubscribe", 42)
    refused = re.escape("this link is not one we made, or a newer one has replaced it.")
    with pytest.raises(BadToken, match=refused):
        SIGNER.read(token.replace("u42.", "u43.", 1), "unsubscribe", now=NOW)
    with pytest.raises(BadToken, match=refused):
        Signer(b"secret two").read(token, "unsubscribe", now=NOW)


def test_a_token_works_only_while_its_subscribers_binding_is_the_same() -> None:
    token = SIGNER.make("unsubscribe", 42, binding="ann's secret")
    assert SIGNER.read(token, "unsubscribe", binding={42: "ann's secret"}.get, now=NOW) == 42
    refused = re.escape("this link is not one we made, or a newer one has replaced it.")
    for other in ("", "another subscriber's secret", "ann's secret "):
        with pytest.raises(BadToken, match=refused):
            SIGNER.read(token, "unsubscribe", binding=lambda _: other, now=NOW)  # noqa: B023
    with pytest.raises(BadToken, match=re.escape("this subscription no longer exists.")):
        SIGNER.read(token, "unsubscribe", binding={}.get, now=NOW)  # removed: nobody has id 42


def test_the_secret_is_made_once_beside_the_database_with_mode_0600(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    first = load_secret(config)
    path = tmp_path / "syndicate.db.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_secret(config) == first


def test_syndicate_secret_in_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_SECRET", "from the environment")
    assert load_secret(load_config(cwd=tmp_path)) == b"from the environment"
    assert not os.path.exists(tmp_path / "syndicate.db.secret")
