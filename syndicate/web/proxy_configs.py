"""nginx and Caddy configurations that serve ``output/`` as ``syndicate serve`` does.

At internet scale the feeds are static files for a real web server or a CDN. These
configurations serve the built files with the same media types, conditional GET, gzip,
``Cache-Control`` and security headers, never the outbox nor a hidden file, and pass only
what needs code to ``syndicate serve``: /subscribe, /confirm, /unsubscribe, the home page
when the build wrote none, and anything not found (for the site's 404 page).
``syndicate serve --print-config nginx`` prints one for a site; tests/test_nginx.py runs it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from ..config import Config
from .app import DYNAMIC
from .static import SECURITY_HEADERS

#: The dynamic pages: always answered by ``syndicate serve``.
PROXIED = DYNAMIC

_CSP, _NOSNIFF, _REFERRER = (value.decode("ascii") for _, value in SECURITY_HEADERS)

#: What nginx and Caddy compress (syndicate serve compresses every text file over 1 KB).
TEXT_TYPES = ("text/html", "text/plain", "text/css", "application/json", "application/rss+xml",
              "application/atom+xml", "application/feed+json")


def nginx_config(output_dir: str | Path, *, upstream: str = "127.0.0.1:8080", listen: str = "80",
                 server_name: str = "_", max_age: int = 300) -> str:
    """An nginx ``server`` block (for ``/etc/nginx/conf.d/``) serving ``output_dir``.

    :param upstream: where ``syndicate serve`` listens, ``host:port``.
    :param listen: nginx's ``listen`` value (``80``, ``127.0.0.1:8081``).
    :param max_age: ``Cache-Control: public, max-age=…`` of the files ([server] cache_max_age).
    """
    proxy = "\n".join([
        f"        proxy_pass http://{upstream};",
        "        proxy_set_header Host $host;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        # syndicate serve sends these itself; nginx adds the same ones below, once.",
        "        proxy_hide_header Content-Security-Policy;",
        "        proxy_hide_header X-Content-Type-Options;",
        "        proxy_hide_header Referrer-Policy;",
        '        set $file_cache "";  # the pages say how long they keep (the forms: no-store)',
    ])
    return f"""\
# syndicate: the built files from {output_dir}, the dynamic pages from syndicate serve at {upstream}.
server {{
    listen {listen};
    server_name {server_name};
    root {output_dir};
    server_tokens off;
    absolute_redirect off;
    disable_symlinks on from=$document_root;

    # Never the outbox (its messages hold personal links), nor a hidden file (a build's
    # temporary file): regular expressions are tried in order, these first.
    location ~ /\\. {{
        return 404;
    }}
    location ~* ^/outbox(/|$) {{
        return 404;
    }}

    # Media types by name (a feed's name says its format), all UTF-8.
    types {{
        text/html html;
        text/plain txt;
        text/css css;
        application/json json;
        application/atom+xml xml;
    }}
    charset utf-8;
    charset_types {' '.join(t for t in TEXT_TYPES if t != 'text/html')};
    location ~ /rss\\.xml$ {{
        types {{ application/rss+xml xml; }}
        try_files $uri @syndicate;
    }}
    location ~ /feed\\.json$ {{
        types {{ application/feed+json json; }}
        try_files $uri @syndicate;
    }}

    # ETag and Last-Modified are nginx's own (mtime and size; a build leaves unchanged files
    # untouched, so they stay). If-None-Match and If-Modified-Since get 304.
    etag on;
    gzip on;
    gzip_types {' '.join(t for t in TEXT_TYPES if t != 'text/html')};
    gzip_min_length 1025;
    gzip_comp_level 6;
    gzip_vary on;
    gzip_proxied any;

    set $file_cache "public, max-age={max_age}";
    add_header Cache-Control $file_cache;
    add_header Content-Security-Policy "{_CSP}" always;
    add_header X-Content-Type-Options {_NOSNIFF} always;
    add_header Referrer-Policy {_REFERRER} always;

    # The files: feeds, the newsletter archive, the site's pages (a folder's index.html).
    location / {{
        index index.html;
        try_files $uri ${{uri}}index.html $uri/index.html @syndicate;
    }}
    location = /newsletters {{
        return 301 /newsletters/;
    }}

    # The dynamic pages, the home page when the build wrote none, and the site's 404 page.
    location ~ ^/(subscribe|confirm|unsubscribe)$ {{
        error_page 418 = @syndicate;  # nginx's way to hand a request to a named location
        return 418;
    }}
    location @syndicate {{
{proxy}
    }}
}}
"""


def caddy_config(output_dir: str | Path, *, upstream: str = "127.0.0.1:8080", address: str = "blog.example.org",
                 max_age: int = 300) -> str:
    """A Caddyfile site block serving ``output_dir``; ``address`` is Caddy's site address
    (a domain name gets HTTPS by itself; ``http://127.0.0.1:8081`` is plain HTTP)."""
    return f"""\
# syndicate: the built files from {output_dir}, the dynamic pages from syndicate serve at {upstream}.
{address} {{
	root * {output_dir}
	header -Server
	header {{
		Content-Security-Policy "{_CSP}"
		X-Content-Type-Options {_NOSNIFF}
		Referrer-Policy {_REFERRER}
		defer
	}}

	# Never the outbox (personal links), nor a hidden file.
	@private path_regexp private (?i)(^/outbox(/|$)|/\\.)
	handle @private {{
		respond 404
	}}

	# The dynamic pages; syndicate serve sends its own security headers, replaced by the same.
	@dynamic path {' '.join(PROXIED)}
	handle @dynamic {{
		reverse_proxy {upstream}
	}}

	handle {{
		# ETag (mtime and size) and Last-Modified are Caddy's own; conditional GET gets 304.
		@rss path */rss.xml
		header @rss Content-Type "application/rss+xml; charset=utf-8"
		@atom {{
			path *.xml
			not path */rss.xml
		}}
		header @atom Content-Type "application/atom+xml; charset=utf-8"
		@json path */feed.json
		header @json Content-Type "application/feed+json; charset=utf-8"
		header Cache-Control "public, max-age={max_age}"
		encode {{
			gzip 6
			minimum_length 1025
			match {{
				header Content-Type text/*
				header Content-Type application/json*
				header Content-Type application/rss+xml*
				header Content-Type application/atom+xml*
				header Content-Type application/feed+json*
			}}
		}}
		try_files {{path}} {{path}}index.html {{path}}/index.html
		file_server {{
			hide .*
		}}
	}}
}}
"""


def print_config(config: Config, server: str, *, host: str | None = None, port: int | None = None) -> str:
    """``syndicate serve --print-config nginx|caddy``: the configuration for this site, naming its
    output folder, its base_url's host name and where ``syndicate serve`` listens."""
    upstream = f"{host or config.server.host}:{port or config.server.port}"
    output = Path(config.output_dir).resolve()
    name = urlsplit(config.site.base_url).hostname or "_"
    if server == "nginx":
        return nginx_config(output, upstream=upstream, server_name=name, max_age=config.server.cache_max_age)
    return caddy_config(output, upstream=upstream, address=name, max_age=config.server.cache_max_age)
