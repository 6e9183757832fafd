#!/usr/bin/env bash
# HTTP/1.1 server benchmark: lorad's HTTP1 vs nginx, same machine, same run.
#   wrk -t2 -c64 -d10s --latency on a trivial route over loopback, keep-alive.
# Needs: apt-get install -y wrk nginx. Release build.
#
# The lorad side is `lorad-bench http` (the HTTP1 server alone on GET /).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-1}
LORAD_ADDR=127.0.0.1:18080
NGINX_ADDR=127.0.0.1:18081

for tool in wrk nginx; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y wrk nginx" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# nginx: a fixed body, no logging, keep-alive without a per-connection request cap.
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    server {
        listen $NGINX_ADDR;
        location / { default_type text/plain; return 200 "Hello, World!"; }
    }
}
CONF
nginx -c "$work/nginx.conf" -p "$work"

# lorad
swift build -c release --product lorad-bench >&2
.build/release/lorad-bench http --listen "$LORAD_ADDR" >"$work/lorad.log" 2>&1 &
pids+=($!)

wait_for() {
    for _ in $(seq 1 200); do
        curl -sf "http://$1/" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server on $1 did not come up" >&2
    exit 1
}
wait_for "$NGINX_ADDR"
wait_for "$LORAD_ADDR"

run() {  # name addr
    local out
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://$2/")
    local rps p99 p50
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    printf '| %-6s | %12s | %8s | %8s |\n' "$1" "$rps" "$p50" "$p99"
    echo "$1 $rps" >>"$work/rps"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, GET / → 13-byte body, keep-alive, loopback"
echo "| server | requests/s   | p50      | p99      |"
echo "|--------|--------------|----------|----------|"
for _ in $(seq 1 "$ROUNDS"); do
    run nginx "$NGINX_ADDR"
    run lorad "$LORAD_ADDR"
done
awk '{s[$1]+=$2; n[$1]++} END {printf "lorad / nginx requests/s: %.2f\n", (s["lorad"]/n["lorad"])/(s["nginx"]/n["nginx"])}' "$work/rps"
