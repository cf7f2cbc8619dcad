#!/usr/bin/env bash
# Requests per second of `syndicate serve` against Debian's nginx (one worker each, then
# `--workers N` against nginx's `worker_processes N`), same machine, same feed of about
# 50 KB, same wrk run: a 200 of the whole feed and a 304 for If-None-Match. The target:
# syndicate >= 0.2 x nginx. nginx runs the configuration `syndicate serve --print-config
# nginx` prints, with its pid, logs and temporary files in a temporary folder.
# A benchmark, not a test: it prints figures and asserts nothing.
# Usage: bench/serve_vs_nginx.sh [seconds per run, default 5] [workers, default: the cores]
set -euo pipefail
seconds=${1:-5}
many=${2:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
PATH="$PATH:/usr/sbin"
for tool in wrk nginx curl; do
    command -v $tool >/dev/null || { echo "$tool is missing: apt-get install nginx wrk curl" >&2; exit 3; }
done
work=$(mktemp -d /tmp/syndicate-vs-nginx.XXXXXX)
server=""; front=""
stop() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    [ -n "$front" ] && kill "$front" 2>/dev/null && wait "$front" 2>/dev/null || true
    server=""; front=""
}
trap 'stop; rm -rf "$work"' EXIT

python3 "$here/../../shared/bench/make_corpus.py" "$work/content" -n 200 >/dev/null
printf '[feeds]\nlimit = 7\n' > "$work/syndicate.toml"
(cd "$work" && syndicate build --quiet --now 2026-01-01T00:00:00Z || true)
size=$(stat -c %s "$work/output/feeds/rss.xml")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "$1 did not answer" >&2; exit 1; }
rps() { wrk -t2 -c32 -d"${seconds}s" "$@" | awk '/Requests\/sec/ {printf "%d", $2}'; }

start() {  # start <workers>: syndicate serve and nginx, each with that many processes
    sport=$(free_port); nport=$(free_port)
    (cd "$work" && SYNDICATE_LOG_LEVEL=warning exec syndicate serve --port "$sport" --workers "$1" 2>/dev/null) &
    server=$!
    mkdir -p "$work/nginx"
    (cd "$work" && syndicate serve --print-config nginx --port "$sport") \
        | sed "s/^    listen 80;/    listen 127.0.0.1:$nport;/" > "$work/nginx/server.conf"
    user=""; [ "$(id -u)" = 0 ] && user="user root;"
    cat > "$work/nginx/nginx.conf" <<CONF
$user
worker_processes $1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
    include $work/nginx/server.conf;
}
CONF
    nginx -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" -g 'daemon off;' &
    front=$!
    wait_for "http://127.0.0.1:$sport/feeds/rss.xml"; wait_for "http://127.0.0.1:$nport/feeds/rss.xml"
}

etag_of() { curl -s -D - -o /dev/null "$1" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r'; }

row() {  # row <label> <workers> <syndicate> <nginx>
    printf '%-32s %10s/s %10s/s %7s\n' "$1, $2 worker(s)" "$3" "$4" "$(awk -v a="$3" -v b="$4" 'BEGIN {printf "%.2f", a / b}')"
}

echo "feed: /feeds/rss.xml, $size bytes; wrk -t2 -c32, ${seconds} s a run; $(nproc) cores"
printf '%-32s %12s %12s %7s\n' "" "syndicate" "nginx" "ratio"
for workers in 1 "$many"; do
    start "$workers"
    s="http://127.0.0.1:$sport/feeds/rss.xml"; n="http://127.0.0.1:$nport/feeds/rss.xml"
    s200=$(rps "$s"); n200=$(rps "$n")
    s304=$(rps -H "If-None-Match: $(etag_of "$s")" "$s"); n304=$(rps -H "If-None-Match: $(etag_of "$n")" "$n")
    row "200 (full feed)" "$workers" "$s200" "$n200"
    row "304 (If-None-Match)" "$workers" "$s304" "$n304"
    stop
done
