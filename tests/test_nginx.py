"""The README's nginx configuration (``syndicate.web.proxy_configs``), run in Debian's nginx.

nginx serves a built test site from a free port of 127.0.0.1, everything of its own
(pid, logs, temporary folders) inside the test's folder, in front of a real ``syndicate
serve``; httpx checks that a client sees what ``syndicate serve`` itself would answer:
media types, conditional GET, gzip, Cache-Control, security headers, no outbox nor hidden
file, and the dynamic pages passed through. Without nginx the tests fail, saying how to
install it (``.ci/run`` does).
"""

from __future__ import annotations

import gzip
import os
import pwd
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from syndicate.cli import main
from syndicate.web.proxy_configs import nginx_config

from .conftest import REPO, write
from .live_servers import Serve, _Process, free_port

NOW_ARGS = ["--now", "2026-11-28T12:00:00Z"]
CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY = {"content-security-policy": CSP, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
FILES = {
    "/feeds/rss.xml": "application/rss+xml; charset=utf-8",
    "/feeds/atom.xml": "application/atom+xml; charset=utf-8",
    "/feeds/feed.json": "application/feed+json; charset=utf-8",
    "/feeds/tags/news/rss.xml": "application/rss+xml; charset=utf-8",
    "/newsletters/feed.xml": "application/atom+xml; charset=utf-8",
    "/newsletters/": "text/html; charset=utf-8",
    "/newsletters/next/email.txt": "text/plain; charset=utf-8",
    "/": "text/html; charset=utf-8",
    "/2026/03/features/": "text/html; charset=utf-8",
    "/2026/03/features": "text/html; charset=utf-8",
    "/tags/index.html": "text/html; charset=utf-8",
}


def nginx_binary() -> str:
    found = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    if found is None:
        pytest.fail("nginx is not installed: these tests run Debian's nginx. Install it with "
                    "'apt-get install nginx' (.ci/run does).", pytrace=False)
    return found


class Nginx(_Process):
    """``nginx -g 'daemon off;'`` with the given ``server`` block, every file of its own under ``folder``."""

    name = "nginx"

    def __init__(self, folder: Path, server: str, port: int) -> None:
        folder.mkdir()
        # As root, nginx's workers would run as nobody, who cannot read the test's folder.
        user = f"user {pwd.getpwuid(os.getuid()).pw_name};\n" if os.geteuid() == 0 else ""
        temp = "".join(f"    {kind}_temp_path {folder / kind};\n" for kind in
                       ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        write(folder / "server.conf", server)
        write(folder / "nginx.conf", f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\n"
              f"error_log {folder / 'error.log'};\nevents {{ worker_connections 64; }}\n"
              f"http {{\n    access_log off;\n{temp}    include {folder / 'server.conf'};\n}}\n")
        super().__init__([nginx_binary(), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log"),
                          "-g", "daemon off;"], cwd=folder, port=port, log=folder / "stderr.log")
        self.url = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        log = self.cwd / "error.log"
        return super().output() + (log.read_text(errors="replace") if log.exists() else "")


def build(site: Path) -> None:
    result = CliRunner().invoke(main, ["build", *NOW_ARGS])
    assert result.exit_code == 0, result.output


@pytest.fixture
def behind_nginx(site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """(a client of nginx, a client of the syndicate serve behind it) on the built test site."""
    monkeypatch.setenv("SYNDICATE_SECRET", "a test secret")
    build(site)
    with Serve(site) as serve:
        port = free_port()
        config = nginx_config(site / "output", upstream=f"127.0.0.1:{serve.port}", listen=f"127.0.0.1:{port}")
        with Nginx(site.parent / "nginx", config, port) as nginx, \
                httpx.Client(base_url=nginx.url, timeout=10) as front, \
                httpx.Client(base_url=serve.url.rstrip("/"), timeout=10) as direct:
            yield front, direct
            assert "[emerg]" not in nginx.output() and "[alert]" not in nginx.output(), nginx.output()


def test_nginx_serves_the_files_with_the_media_types_headers_and_bytes_of_syndicate_serve(
        behind_nginx: tuple[httpx.Client, httpx.Client], site: Path) -> None:
    front, direct = behind_nginx
    for path, media_type in FILES.items():
        ours, theirs = front.get(path, headers={"accept-encoding": "identity"}), direct.get(path)
        assert (ours.status_code, ours.headers["content-type"]) == (200, media_type), path
        assert theirs.headers["content-type"] == media_type, path
        assert ours.content == theirs.content, path
        assert ours.headers["cache-control"] == "public, max-age=300", path
        assert {k: ours.headers.get_list(k) for k in SECURITY} == {k: [v] for k, v in SECURITY.items()}, path
        assert "last-modified" in ours.headers, path


def test_nginx_answers_if_none_match_with_a_bodiless_304(behind_nginx: tuple[httpx.Client, httpx.Client]) -> None:
    front, _ = behind_nginx
    for encoding in ("identity", "gzip"):
        first = front.get("/feeds/rss.xml", headers={"accept-encoding": encoding})
        etag = first.headers["etag"]  # nginx's own: mtime and size, W/ when it compresses
        again = front.get("/feeds/rss.xml", headers={"accept-encoding": encoding, "if-none-match": etag})
        assert (again.status_code, again.content) == (304, b""), encoding
        assert again.headers["etag"].removeprefix("W/") == etag.removeprefix("W/")  # a 304 is not compressed
        assert again.headers["cache-control"] == "public, max-age=300"
        assert {k: again.headers.get(k) for k in SECURITY} == SECURITY
    since = front.get("/feeds/atom.xml", headers={"if-modified-since": first.headers["last-modified"]})
    assert since.status_code == 304


def test_nginx_compresses_the_feeds_and_pages_when_asked(behind_nginx: tuple[httpx.Client, httpx.Client],
                                                         site: Path) -> None:
    front, _ = behind_nginx
    for path, name in (("/feeds/rss.xml", "feeds/rss.xml"), ("/feeds/atom.xml", "feeds/atom.xml"),
                       ("/feeds/feed.json", "feeds/feed.json"), ("/2026/03/features/", "2026/03/features/index.html")):
        with front.stream("GET", path, headers={"accept-encoding": "gzip"}) as response:
            raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == "gzip", path
        assert response.headers["vary"] == "Accept-Encoding", path
        assert gzip.decompress(raw) == (site / "output" / name).read_bytes(), path


def test_nginx_never_serves_the_outbox_a_hidden_file_or_a_symlink_out(
        behind_nginx: tuple[httpx.Client, httpx.Client], site: Path) -> None:
    front, _ = behind_nginx
    output = site / "output"
    write(output / "outbox" / "1" / "000000001.eml", "a personal unsubscribe link")
    write(output / "feeds" / ".rss.xml.abc.tmp", "half a feed")
    write(output / ".hidden" / "index.html", "hidden")
    write(site / "secret.txt", "not for the public")
    (output / "feeds" / "out.xml").symlink_to(site / "secret.txt")
    for path in ("/outbox/", "/outbox/1/000000001.eml", "/Outbox/1/000000001.eml", "/feeds/.rss.xml.abc.tmp",
                 "/.hidden/", "/feeds/out.xml", "/feeds/../outbox/1/000000001.eml", "/feeds/%2e%2e/outbox/"):
        response = front.send(front.build_request("GET", path), follow_redirects=False)
        assert response.status_code in (403, 404), path
        assert b"personal" not in response.content and b"not for the public" not in response.content, path
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_nginx_passes_the_dynamic_pages_to_syndicate_serve(behind_nginx: tuple[httpx.Client, httpx.Client]) -> None:
    front, direct = behind_nginx
    form = front.get("/subscribe")
    assert form.status_code == 200
    assert form.headers["content-type"] == "text/html; charset=utf-8"
    assert re.search(r'<form method="post" action="[^"]*subscribe"', form.text), form.text
    assert form.headers["cache-control"] == "no-store"  # the page's own, not the files'
    assert {k: form.headers.get_list(k) for k in SECURITY} == {k: [v] for k, v in SECURITY.items()}
    for path in ("/confirm?token=forged", "/unsubscribe?token=forged"):
        ours, theirs = front.get(path), direct.get(path)
        assert (ours.status_code, ours.text) == (theirs.status_code, theirs.text), path
    missing = front.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.text == direct.get("/no/such/page").text  # the site's 404 page
    assert front.get("/newsletters", follow_redirects=False).headers["location"] == "/newsletters/"


def test_nginx_passes_the_home_page_on_when_the_build_wrote_none(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNDICATE_SECRET", "a test secret")
    text = (site / "syndicate.toml").read_text(encoding="utf-8")
    (site / "syndicate.toml").write_text(text.replace("[site]\n", "[site]\npages = false\n", 1), encoding="utf-8")
    build(site)
    assert not (site / "output" / "index.html").exists()
    with Serve(site) as serve:
        port = free_port()
        config = nginx_config(site / "output", upstream=f"127.0.0.1:{serve.port}", listen=f"127.0.0.1:{port}")
        with Nginx(site.parent / "nginx", config, port) as nginx:
            home = httpx.get(nginx.url + "/", timeout=10)
            assert home.status_code == 200
            assert home.text == httpx.get(serve.url, timeout=10).text
            assert 'rel="alternate"' in home.text


def test_the_readme_shows_the_configurations_syndicate_prints() -> None:
    from syndicate.web.proxy_configs import caddy_config

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = dict(re.findall(r"```(nginx|caddyfile)\n(.*?)```", readme, re.S))
    assert blocks["nginx"] == nginx_config("/srv/blog/output", server_name="blog.example.org")
    assert blocks["caddyfile"] == caddy_config("/srv/blog/output", address="blog.example.org")


def test_syndicate_serve_with_two_workers_serves_files_and_pages_and_warns_once(site: Path,
                                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from .live_servers import SERVE_COMMAND

    monkeypatch.setenv("SYNDICATE_SECRET", "a test secret")
    build(site)
    port = free_port()
    server = _Process([*SERVE_COMMAND, "--port", str(port), "--workers", "2"], cwd=site, port=port,
                      log=site.parent / "serve.log")
    with server, httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        for _ in range(4):
            assert client.get("/feeds/rss.xml").headers["content-type"] == FILES["/feeds/rss.xml"]
            assert client.get("/subscribe").status_code == 200
    log = server.output()
    assert log.count("Warning: [site] base_url is https://blog.example.org/") == 1, log
    assert log.count("Application startup complete.") == 2, log
