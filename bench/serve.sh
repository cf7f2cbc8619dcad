#!/usr/bin/env bash
# Requests per second of `syndicate serve` (one uvicorn worker) measured with wrk (Debian's
# wrk package), for a feed of about 50 KB:
#   conditional GET answered 304        target >= 3,000 requests/s
#   full 200 of the 50 KB feed          target >= 1,500 requests/s
# A benchmark, not a test: it prints figures and asserts nothing.
# Usage: bench/serve.sh [seconds per run, default 10]
set -euo pipefail
seconds=${1:-10}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/syndicate-serve.XXXXXX)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 3; }

python3 "$here/../../shared/bench/make_corpus.py" "$work/content" -n 200 >/dev/null
printf '[feeds]\nlimit = 7\n' > "$work/syndicate.toml"
(cd "$work" && syndicate build --quiet --now 2026-01-01T00:00:00Z || true)
size=$(stat -c %s "$work/output/feeds/rss.xml")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work" && SYNDICATE_LOG_LEVEL=warning exec syndicate serve --port "$port") &
server=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/feeds/rss.xml" && break; sleep 0.1; done
url="http://127.0.0.1:$port/feeds/rss.xml"
etag=$(curl -s -D - -o /dev/null "$url" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')

echo "feed: $url, $size bytes"
echo -n "304 (If-None-Match):  "
wrk -t2 -c32 -d"${seconds}s" -H "If-None-Match: $etag" "$url" | awk '/Requests\/sec/ {print $2 " requests/s"}'
echo -n "200 (full feed):      "
wrk -t2 -c32 -d"${seconds}s" "$url" | awk '/Requests\/sec/ {print $2 " requests/s"}'
echo -n "200 (gzip):           "
wrk -t2 -c32 -d"${seconds}s" -H "Accept-Encoding: gzip" "$url" | awk '/Requests\/sec/ {print $2 " requests/s"}'
