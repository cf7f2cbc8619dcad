"""Consent is explicit and final: only a POST confirms or unsubscribes, and no old link brings back
someone who left, was removed or bounced. Through HTTP, as a person (or a mail scanner) would."""

# ruff: noqa: F811  (the web tests' fixtures, imported by name)
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from syndicate.state import Store
from syndicate.tokens import Signer

from .conftest import NOW
from .test_web import (  # noqa: F401 (fixtures)
    BASE,
    ONE_CLICK,
    UNSUBSCRIBED,
    TestClient,
    _secret,
    add_subscriber,
    bad_link,
    built,
    client,
    configure,
    confirm_link,
    csrf_of,
    page,
    run,
    serve,
    signer,
    subscribe,
    subscriber,
    token,
)

LEFT = bad_link("this address left the list after this link was sent. To subscribe again, use the subscribe "
                "page: a new link will be sent.")
REPLACED = bad_link("this link is not one we made, or a newer one has replaced it.")
GONE = bad_link("this subscription no longer exists.")


def sign_up(client: TestClient, built: Path, address: str) -> str:
    """Subscribe through the form; the link of the confirmation email that came."""
    assert subscribe(client, address).status_code == 200
    return confirm_link(built, subscriber(built, address).id)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_looking_at_a_link_changes_nothing(client: TestClient, built: Path, signer: Signer, method: str) -> None:
    link = sign_up(client, built, "reader@example.org")
    leaving = add_subscriber(built, "leaving@example.org")
    unsubscribe = f"{BASE}unsubscribe?token={token(built, signer, 'unsubscribe', leaving)}"
    for url in (link, unsubscribe, link, unsubscribe):  # a mail scanner fetches each link, twice
        assert client.request(method, url).status_code == 200
    assert subscriber(built, "reader@example.org").status == "pending"
    assert subscriber(built, "leaving@example.org").status == "active"


def test_looking_at_the_form_does_not_count_against_the_sign_up_limit(serve: Callable[..., TestClient]) -> None:
    client = serve(subscribe_rate=2)
    for _ in range(5):
        assert client.head("/subscribe").status_code == 200
        assert client.get("/subscribe").status_code == 200
    assert [subscribe(client, f"reader{i}@example.org").status_code for i in (1, 2, 3)] == [200, 200, 429]


def test_an_old_confirmation_link_does_not_bring_back_someone_who_unsubscribed(
        client: TestClient, built: Path, signer: Signer) -> None:
    link = sign_up(client, built, "reader@example.org")
    assert client.post(link).status_code == 200
    sid = subscriber(built, "reader@example.org").id
    leave = f"{BASE}unsubscribe?token={token(built, signer, 'unsubscribe', sid)}"
    assert client.post(leave, **ONE_CLICK).status_code == 200
    for method in ("GET", "POST"):
        response = client.request(method, link)  # still within its 7 days
        assert (response.status_code, page(response).blocks) == (400, LEFT)
    assert subscriber(built, "reader@example.org").status == "unsubscribed"


def test_signing_up_again_kills_the_links_of_the_earlier_sign_up(client: TestClient, built: Path) -> None:
    first = sign_up(client, built, "reader@example.org")
    assert client.post(first).status_code == 200
    run(CliRunner(), "subscribers", "unsubscribe", "reader@example.org")
    second = sign_up(client, built, "reader@example.org")
    assert second != first
    response = client.post(first)
    assert (response.status_code, page(response).blocks) == (400, REPLACED)
    assert subscriber(built, "reader@example.org").status == "pending"
    assert client.post(second).status_code == 200
    assert subscriber(built, "reader@example.org").status == "active"


def test_a_bounced_address_is_not_made_active_by_its_old_confirmation_link(client: TestClient, built: Path) -> None:
    link = sign_up(client, built, "reader@example.org")
    assert client.post(link).status_code == 200
    with Store(built / "syndicate.db") as store:
        store.record_bounce(subscriber(built, "reader@example.org").id, bounce_after=1, now=NOW)
    response = client.post(link)
    assert (response.status_code, page(response).blocks) == (400, LEFT)
    assert subscriber(built, "reader@example.org").status == "bounced"


def test_a_bounced_address_that_clicks_unsubscribe_stays_bounced_so_no_sign_up_brings_it_back(
        client: TestClient, built: Path, signer: Signer) -> None:
    sid = add_subscriber(built, "reader@example.org")
    with Store(built / "syndicate.db") as store:
        store.record_bounce(sid, bounce_after=1, now=NOW)
    leave = f"{BASE}unsubscribe?token={token(built, signer, 'unsubscribe', sid)}"
    assert client.post(leave, **ONE_CLICK).status_code == 200
    assert subscriber(built, "reader@example.org").status == "bounced"
    subscribe(client, "reader@example.org")
    assert subscriber(built, "reader@example.org").status == "bounced"


def test_ids_are_never_reused_so_a_removed_subscribers_link_names_nobody(
        client: TestClient, built: Path, signer: Signer) -> None:
    runner = CliRunner()
    run(runner, "subscribers", "add", "ann@example.org")
    run(runner, "subscribers", "add", "bob@example.org")
    bob = subscriber(built, "bob@example.org")
    link = f"{BASE}unsubscribe?token={token(built, signer, 'unsubscribe', bob.id)}"
    run(runner, "subscribers", "remove", "bob@example.org")
    run(runner, "subscribers", "add", "cid@example.org")
    run(runner, "subscribers", "add", "bob@example.org")  # Bob again: a new subscriber
    assert subscriber(built, "cid@example.org").id > bob.id
    assert subscriber(built, "bob@example.org").id > bob.id
    for method in ("GET", "POST"):
        response = client.request(method, link)
        assert (response.status_code, page(response).blocks) == (400, GONE)
    assert subscriber(built, "cid@example.org").status == "active"
    assert subscriber(built, "bob@example.org").status == "active"


def test_the_one_click_post_and_the_pages_button_unsubscribe(client: TestClient, built: Path, signer: Signer) -> None:
    sid = add_subscriber(built, "reader@example.org")
    url = f"{BASE}unsubscribe?token={token(built, signer, 'unsubscribe', sid)}"
    response = client.post(url, **ONE_CLICK)
    assert (response.status_code, page(response).blocks) == (200, UNSUBSCRIBED)
    assert subscriber(built, "reader@example.org").status == "unsubscribed"


@pytest.mark.parametrize("path", ["/unsubscribe/?token=u1.0.x", "/confirm/?token=c1.0.x", "/subscribe/"])
def test_no_redirect_is_built_from_the_host_header(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers


@pytest.fixture
def stalled_smtp() -> Iterator[int]:
    """A port that accepts connections and then says nothing, as a hung SMTP server does."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(200)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_sign_ups_against_a_stalled_smtp_server_do_not_hold_up_the_other_pages(
        built: Path, serve: Callable[..., TestClient], signer: Signer, stalled_smtp: int) -> None:
    configure(built, "delivery", transport="smtp", host="127.0.0.1", port=stalled_smtp, security="none", timeout=3)
    client = serve(subscribe_rate=1000)
    reader = add_subscriber(built, "reader@example.org")
    csrf = csrf_of(client.get("/subscribe").text)
    started = time.monotonic()
    for i in range(60):
        answer = client.post("/subscribe", data={"email": f"new{i}@example.org", "name": "", "website": "",
                                                 "csrf": csrf})
        assert answer.status_code == 200
    leave = client.get(f"/unsubscribe?token={token(built, signer, 'unsubscribe', reader)}")
    assert leave.status_code == 200
    assert client.get("/").status_code == 200
    assert time.monotonic() - started < 10  # each answer at once, though no email has gone out
    assert not client.app.wait_for_mail(timeout=1)  # the confirmations are still stuck on the server
    assert subscriber(built, "new0@example.org").status == "pending"
