"""A reader in a real browser: subscribe, confirm from the email, get the newsletter, unsubscribe.

Headless Debian chromium (/usr/bin/chromium, driven by Playwright; never
``playwright install``) against a real ``syndicate serve`` on 127.0.0.1, whose
[site] base_url is that address and whose [delivery] is SMTP to a real aiosmtpd
server started by the test (tests/live_servers.py). CI's .ci/run installs chromium;
without it this test fails and says so, it does not skip.
"""

from __future__ import annotations

import email
import email.policy
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from syndicate.cli import main

from .conftest import site_store
from .live_servers import Mailbox, Serve, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
NOW_ARGS = ["--now", "2026-11-28T12:00:00Z"]
TITLE = "Test Site & Friends"
READER = "ada.reader@example.org"
FAVICON_404 = "Failed to load resource: the server responded with a status of 404 (Not Found)"


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def status_of(site: Path, address: str) -> str:
    with site_store(site) as store:
        return store.subscriber(address).status


def parse(raw: bytes) -> Any:
    return email.message_from_bytes(raw, policy=email.policy.default)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, from its IHDR chunk (which must come first)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR" and data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82", f"{path.name} is cut short"
    return struct.unpack(">II", data[16:24])


def screenshots(page: Any, folder: Path, name: str) -> None:
    """The page at a phone's width and a laptop's, as PNG files in ``folder``."""
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        path = folder / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        assert png_size(path)[0] == width


@pytest.mark.browser
@pytest.mark.slow
def test_a_reader_subscribes_confirms_gets_the_newsletter_and_unsubscribes_in_a_real_browser(
        site: Path, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it). "
                    "Do not use 'playwright install'.")
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("SYNDICATE_SECRET", "the browser test's secret")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    toml = site / "syndicate.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('base_url = "https://blog.example.org/"',
                                                             f'base_url = "{base}"'), encoding="utf-8")
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with Mailbox(tmp_path / "mail") as mailbox:
        with open(toml, "a", encoding="utf-8") as fh:
            fh.write(f'\n[delivery]\ntransport = "smtp"\nhost = "127.0.0.1"\nport = {mailbox.port}\n'
                     'security = "none"\ntimeout = 10\n')
        run(runner, "build", *NOW_ARGS)
        with Serve(site, port) as server, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                # Generous waits: CI machines are slow and busy (a wait returns as soon as it can).
                page.set_default_timeout(30_000)
                expect.set_options(timeout=30_000)
                console: list[str] = []
                failed: set[str] = set()
                page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
                page.on("response", lambda r: failed.add(r.url) if r.status >= 400 else None)

                # Subscribe.
                response = page.goto(f"{base}subscribe")
                assert response is not None and response.status == 200
                expect(page.locator("h1")).to_have_text(f"Subscribe to {TITLE}")
                screenshots(page, shots, "subscribe")
                page.get_by_label("Email address").fill(READER)
                page.get_by_label("Name (optional)").fill("Ada Reader")
                page.get_by_role("button", name="Subscribe").click()
                expect(page.locator("h1")).to_have_text("Check your inbox")
                assert page.url == f"{base}subscribe"
                # (The subscription is recorded and mailed after the answer is sent.)

                # Confirm from the email the SMTP server got.
                [raw] = mailbox.wait_for(1)
                assert status_of(site, READER) == "pending"
                confirm = parse(raw)
                assert (confirm["To"], confirm["Subject"]) == (READER, f"Confirm your subscription to {TITLE}")
                [link] = re.findall(rf"{re.escape(base)}confirm\?token=[\w.-]+",
                                    confirm.get_body(("plain",)).get_content())
                page.goto(link)  # opening it changes nothing: its page has one button
                expect(page.locator("h1")).to_have_text(f"Subscribe to {TITLE}?")
                assert status_of(site, READER) == "pending"
                page.get_by_role("button", name="Yes, subscribe me").click()
                expect(page.locator("h1")).to_have_text(f"Welcome to {TITLE}")
                expect(page.locator("main p").first).to_have_text(
                    f"{READER} is subscribed: the next newsletter will be in your inbox.")
                assert status_of(site, READER) == "active"

                # The newsletter reaches them, with a link to leave.
                run(runner, "newsletter", *NOW_ARGS)
                sent = run(runner, "send")  # (on stderr: a warning that base_url is not https)
                assert sent.startswith(f"Issue #1 via SMTP 127.0.0.1:{mailbox.port}: 1 sent, 0 deferred, 0 failed, "
                                       "0 skipped"), sent
                newsletter = parse(mailbox.wait_for(2)[1])
                assert newsletter["To"] == f"Ada Reader <{READER}>"
                assert newsletter["Subject"] == "Council approves new ferry: a plain-text article"
                [unsubscribe] = re.findall(r"<(http[^>]+)>", newsletter["List-Unsubscribe"])
                assert unsubscribe.startswith(f"{base}unsubscribe?token=")
                assert f'href="{unsubscribe}"' in newsletter.get_body(("html",)).get_content()

                # Unsubscribe: the link shows one button; the button does it.
                page.set_viewport_size({"width": 1280, "height": 800})
                response = page.goto(unsubscribe)
                assert response is not None and response.status == 200
                expect(page.locator("h1")).to_have_text(f"Unsubscribe from {TITLE}?")
                expect(page.locator("form")).to_have_count(1)
                expect(page.locator("button")).to_have_count(1)
                screenshots(page, shots, "unsubscribe")
                assert status_of(site, READER) == "active"  # opening the link is not enough
                page.get_by_role("button", name="Unsubscribe").click()
                expect(page.locator("h1")).to_have_text("You are unsubscribed")
                expect(page.locator("main p").first).to_have_text(f"You will get no more newsletters from {TITLE}.")
                assert status_of(site, READER) == "unsubscribed"
                # Nothing the pages load failed, and nothing was refused under their Content-Security-Policy.
                # (Chromium's own request for /favicon.ico, which the site does not have, is logged as
                # a 404 without a URL and is not one of the page's requests.)
                assert failed == set()
                assert [m for m in console if m != FAVICON_404] == []
            finally:
                browser.close()
        assert server.stopped_cleanly(), server.output()
    assert sorted(p.name for p in shots.iterdir()) == ["subscribe-1280.png", "subscribe-375.png",
                                                       "unsubscribe-1280.png", "unsubscribe-375.png"]
