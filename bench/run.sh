#!/bin/sh
# The wrk comparison of nginx with and without the module (make bench).
# Settings: BENCH_ROUNDS, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_WARMUP,
# BENCH_VARIANTS, BENCH_NGINX_CPU, BENCH_WRK_CPU, BENCH_PORT (see
# bench/bench.py); extra arguments go to bench/bench.py.

set -eu

cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}

for f in "$BUILD/ngx_http_omni_module.so" "$BUILD/omnictl"; do
    [ -f "$f" ] || { echo "bench: $f is missing: run make" >&2; exit 1; }
done

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/omni-bench.XXXXXX")

# bench.py stops its nginx instances itself; this is the backstop when it
# could not (killed, crashed): each master by the pid it wrote
cleanup() {
    for f in "$run_dir"/*/nginx.pid; do
        [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null
    done
    rm -rf "$run_dir"
}

trap cleanup EXIT
trap 'exit 130' INT TERM

python3 bench/bench.py --run-dir "$run_dir" --out "$BUILD/bench" \
    --module "$BUILD/ngx_http_omni_module.so" --omnictl "$BUILD/omnictl" "$@"
