"""Every page a reader sees passes axe-core: no violation of serious or critical impact, in light
and dark mode, on a laptop (1024 px) and a phone (375 px); and so does the newsletter email
(375 and 600 px). A new page is one more row in PAGES.

The pages come from a real ``syndicate serve`` on 127.0.0.1 (the test site, built, with one
issue made), opened in headless Debian chromium driven by Playwright, as in tests/test_browser.py.
axe-core 4 is the npm package's ``axe.min.js``, found in this order: the file named by
``AXE_CORE_JS`` (CI's .ci/run installs it and sets that), the global npm root, else
``npm install`` into a temporary folder of this test run. It is never fetched from a CDN,
and it is injected past the pages' Content-Security-Policy (which allows no script) with
Playwright's ``bypass_csp``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.config import load_config
from syndicate.state import open_store
from syndicate.tokens import Signer, load_secret

from .conftest import DATA, NOW
from .live_servers import Serve, free_port
from .test_browser import CHROMIUM, CHROMIUM_ARGS, NOW_ARGS, TITLE

#: Where a machine (CI) says axe.min.js is; not a SYNDICATE_* name, which every test clears.
AXE_ENV = "AXE_CORE_JS"
#: The impacts that fail a page (axe's others: minor, moderate).
FAILING = ("serious", "critical")
SCHEMES = ["light", "dark"]

#: (name, path) of every page; {confirm} and {unsubscribe} are filled with working tokens.
PAGES = [
    ("home", "/"),
    ("subscribe", "/subscribe"),
    ("answer", "/subscribe"),  # the page after POSTing the form (see SUBMIT)
    ("refused-address", "/subscribe"),  # the form again, with the reason the address was refused
    ("confirm", "/confirm?token={confirm}"),
    ("confirm-bad-link", "/confirm?token=nope"),
    ("unsubscribe", "/unsubscribe?token={unsubscribe}"),
    ("archive", "/newsletters/"),
    ("issue", "/newsletters/1/"),
    ("404", "/no-such-page/"),
    ("article", "/2026/03/features/"),
    ("article-plain", "/2026/04/news-story/"),
    ("tags", "/tags/"),
    ("tag", "/tags/markdown/"),
]
#: The pages reached by filling the subscribe form: the address typed, and the h1 of the page that answers.
SUBMIT = {"answer": ("ada.reader@example.org", "Check your inbox"),
          "refused-address": ("ada@example", f"Subscribe to {TITLE}")}
STATUS = {"confirm-bad-link": 400, "404": 404}


# -- axe-core ------------------------------------------------------------------------------

def _major_is_4(script: Path) -> bool:
    package = script.parent / "package.json"
    return package.is_file() and json.loads(package.read_text(encoding="utf-8"))["version"].startswith("4.")


@pytest.fixture(scope="session")
def axe_js(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """axe-core 4's axe.min.js: $AXE_CORE_JS, else the global npm root's, else installed by npm
    into this run's temporary folder (its cache there too, so nothing outside tmp is written)."""
    named = os.environ.get(AXE_ENV)
    if named:
        assert Path(named).is_file(), f"{AXE_ENV}={named} is not a file"
        return Path(named)
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"axe-core is needed: set {AXE_ENV} to its axe.min.js, or install npm (apt-get install npm; "
                    ".ci/run does it) so that the test can install it.")
    prefix = tmp_path_factory.mktemp("axe-core")
    # npm writes its cache and logs under HOME unless told otherwise, even for 'npm root'.
    env = {**os.environ, "npm_config_cache": str(prefix / "npm-cache"), "npm_config_update_notifier": "false"}
    root = subprocess.run([npm, "root", "-g"], check=False, capture_output=True, text=True, timeout=60,
                          env=env).stdout.strip()
    if root and _major_is_4(found := Path(root) / "axe-core" / "axe.min.js") and found.is_file():
        return found
    done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "axe-core@4"],
                          check=False, capture_output=True, text=True, timeout=300, env=env)
    installed = prefix / "node_modules" / "axe-core" / "axe.min.js"
    assert done.returncode == 0 and installed.is_file(), f"npm install axe-core@4 failed:\n{done.stdout}{done.stderr}"
    return installed


def serious_violations(page: Any, axe_js: Path) -> list[str]:
    """axe's default rules (WCAG 2 A/AA and best practices) on the page: one line per violation
    of serious or critical impact, with the elements it was found on."""
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    assert result["testEngine"]["version"].startswith("4.")
    lines = []
    for violation in result["violations"]:
        if violation["impact"] not in FAILING:
            continue
        nodes = violation["nodes"]
        where = "; ".join(" ".join(node["target"]) for node in nodes[:5]) + (" …" if len(nodes) > 5 else "")
        summary = " ".join(nodes[0]["failureSummary"].split()) if nodes else ""
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}. "
                     f"{len(nodes)} element(s): {where}. {summary}")
    return lines


# -- the site and the browser --------------------------------------------------------------

@dataclass(frozen=True)
class LiveSite:
    folder: Path
    base: str  # http://127.0.0.1:<port>, no trailing slash
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """tests/data/site with full-content newsletters, built at NOW with issue #1 made, a pending
    and an active subscriber, served by ``syndicate serve`` at its own base_url on 127.0.0.1."""
    root = tmp_path_factory.mktemp("accessibility")
    site = root / "site"
    shutil.copytree(DATA / "site", site)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    toml = site / "syndicate.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('base_url = "https://blog.example.org/"',
                                                             f'base_url = "{base}"')
                    + "\n[newsletter]\nfull_content = true\n"
                    + "\n[server]\nsubscribe_rate = 1000\n", encoding="utf-8")  # every case POSTs from 127.0.0.1
    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as env:  # as conftest's _isolated, for the set-up and the server
            env.setenv("HOME", str(tmp_path_factory.mktemp("home")))
            for key in list(os.environ):
                if key.startswith(("SYNDICATE_", "XDG_")):
                    env.delenv(key)
            env.chdir(site)
            runner = CliRunner()
            for command in ("build", "newsletter"):
                result = runner.invoke(main, [command, *NOW_ARGS])
                assert result.exit_code == 0, result.output
            config = load_config(toml)
            signer = Signer(load_secret(config))  # the secret file beside the database: the server's too
            with open_store(config) as store, store.transaction():
                pending = store.request_confirmation("pending@example.org", "", source="test", now=NOW)
                active = store.add_subscriber("active@example.org", now=NOW)
            tokens = {"confirm": signer.make("confirm", pending.id, binding=pending.confirm_nonce or ""),
                      "unsubscribe": signer.make("unsubscribe", active.id, binding=active.secret)}
            stack.enter_context(Serve(site, port))
        yield LiveSite(site, base.rstrip("/"), tokens)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it). "
                    "Do not use 'playwright install'.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def contexts(browser: Any) -> Iterator[dict[tuple[int, str], Any]]:
    """One browser context per width and colour scheme, made when first asked for, each letting
    axe's script in (the pages' CSP allows none). The site sets no cookie, so the pages that
    share one see nothing of each other."""
    made: dict[tuple[int, str], Any] = {}
    yield made
    for context in made.values():
        context.close()


@pytest.fixture
def new_page(browser: Any, contexts: dict[tuple[int, str], Any]) -> Iterator[Any]:
    """``new_page(width, scheme)``: a new page at that width in that colour scheme."""
    pages: list[Any] = []

    def make(width: int, scheme: str) -> Any:
        if (width, scheme) not in contexts:
            contexts[width, scheme] = browser.new_context(viewport={"width": width, "height": 800},
                                                          color_scheme=scheme, bypass_csp=True)
        page = contexts[width, scheme].new_page()
        page.set_default_timeout(30_000)
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()


# -- the tests -----------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("width", [1024, 375])
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _ in PAGES])
def test_every_page_has_no_serious_or_critical_axe_violation(
        live_site: LiveSite, new_page: Any, axe_js: Path, name: str, path: str, scheme: str, width: int) -> None:
    from playwright.sync_api import expect

    page = new_page(width, scheme)
    response = page.goto(live_site.base + path.format(**live_site.tokens))
    assert response is not None
    assert "script-src" not in response.headers["content-security-policy"]  # hence bypass_csp
    assert response.status == STATUS.get(name, 200), response.status
    if name in SUBMIT:
        address, heading = SUBMIT[name]
        page.get_by_label("Email address").fill(address)
        page.get_by_role("button", name="Subscribe").click()
        expect(page.locator("h1")).to_have_text(heading)
        if name == "refused-address":
            expect(page.get_by_role("alert")).to_contain_text("That is not an email address")
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    violations = serious_violations(page, axe_js)
    assert violations == [], f"{name} ({path}), {scheme}, {width} px:\n" + "\n".join(violations)


@pytest.mark.browser
@pytest.mark.parametrize("width", [600, 375])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_newsletter_email_has_no_serious_or_critical_axe_violation(
        live_site: LiveSite, new_page: Any, axe_js: Path, scheme: str, width: int) -> None:
    html = (live_site.folder / "output" / "newsletters" / "next" / "email.html").read_text(encoding="utf-8")
    page = new_page(width, scheme)
    page.route("**/*", lambda route: route.abort())  # no network: as a mail client that blocks images
    page.set_content(html)
    violations = serious_violations(page, axe_js)
    assert violations == [], f"email.html, {scheme}, {width} px:\n" + "\n".join(violations)
