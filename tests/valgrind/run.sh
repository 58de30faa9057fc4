#!/bin/sh
# tests/valgrind/run.sh [--module SO] [--omnictl BIN]: the demo storefront
# (demo/nginx.conf.in, demo/shop.py, demo/campaigns.json, the demo
# profiles) with nginx in one process (master_process off, daemon off)
# under valgrind --leak-check=full, some traffic of every kind the module
# handles (new and returning visitors, campaigns, product views, carts,
# sign-in, a purchase, beacons good and bad, clicks, forged cookies, the
# status and the dashboard), then a graceful stop.  (No reload: nginx
# without a master process stops accepting connections after one.)
#
# Fails (exit 1) on any leak (definitely or indirectly lost) or memory
# error (invalid read or write, use of uninitialised values, bad free)
# with a frame of the module in its stack; prints what valgrind counted
# in all, for nginx and the libraries as well.  Takes a minute or two.

set -eu

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
MODULE=$ROOT/build/ngx_http_omni_module.so
OMNICTL=$ROOT/build/omnictl
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}

while [ $# -gt 0 ]; do
    case $1 in
        --module) MODULE=$(realpath "$2"); shift 2 ;;
        --omnictl) OMNICTL=$(realpath "$2"); shift 2 ;;
        *) echo "usage: $0 [--module SO] [--omnictl BIN]" >&2; exit 2 ;;
    esac
done

RUN=$(mktemp -d /tmp/omni-valgrind-XXXXXX)
chmod 755 "$RUN"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SHOP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
U=http://127.0.0.1:$PORT
VG_LOG=$RUN/valgrind.log
NGX_PID=
SHOP_PID=

cleanup() {
    [ -n "$NGX_PID" ] && kill -KILL "$NGX_PID" 2>/dev/null || true
    [ -n "$SHOP_PID" ] && kill "$SHOP_PID" 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$RUN/tmp" "$RUN/kpi" "$RUN/store"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/secret"
"$OMNICTL" import --store "$RUN/store" "$ROOT/demo/profiles.jsonl" >/dev/null

# the demo's configuration, in one process, with this module
{
    echo "master_process off;"
    echo "daemon off;"
    sed -e "s|^load_module .*|load_module $MODULE;|" \
        -e "s|^worker_processes .*||" \
        -e "s|@RUN@|$RUN|g" -e "s|@BUILD@|$ROOT/build|g" \
        -e "s|@ROOT@|$ROOT|g" -e "s|@PORT@|$PORT|g" \
        -e "s|@SHOP_PORT@|$SHOP_PORT|g" -e "s|@ABANDON@|2s|g" \
        "$ROOT/demo/nginx.conf.in"
} > "$RUN/nginx.conf"

python3 "$ROOT/demo/shop.py" "$SHOP_PORT" > "$RUN/shop.log" 2>&1 &
SHOP_PID=$!

# nginx reads $NGINX as inherited sockets: keep it out of its way
# (--keep-debuginfo: nginx unloads the module before valgrind reports)
env -u NGINX valgrind --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --num-callers=40 \
    --keep-debuginfo=yes \
    --log-file="$VG_LOG" \
    "$NGINX_BIN" -p "$RUN" -c "$RUN/nginx.conf" 2> "$RUN/stderr.log" &
NGX_PID=$!

up() {
    for _ in $(seq 1 600); do
        curl -s -o /dev/null "$U/" && return 0
        sleep 0.1
    done
    echo "valgrind: nginx does not answer" >&2
    tail -n 20 "$VG_LOG" "$RUN/error.log" >&2
    exit 1
}
up

c() {       # c JAR ARGS...: a request with a cookie jar, the status only
    jar=$RUN/jar-$1
    shift
    curl -s -o /dev/null -w '%{http_code}\n' -b "$jar" -c "$jar" "$@" \
        >> "$RUN/codes"
}

traffic() {
    # new visitors, some from campaigns, who never come back
    for i in $(seq 1 20); do
        curl -s -o /dev/null "$U/?utm_source=news&utm_medium=email&i=$i"
        curl -s -o /dev/null -H 'Referer: https://www.google.com/' "$U/p/SKU-9"
    done

    # a shopper: lands from an email, looks, buys, signs in, leaves a cart
    c a "$U/?utm_source=news&utm_medium=email&utm_campaign=spring"
    c a "$U/p/SKU-7"
    c a -X POST "$U/cart/add?sku=SKU-7"
    c a "$U/cart"
    c a -X POST "$U/checkout"
    c a "$U/login?customer=C1"
    c a "$U/"
    c a -X POST "$U/cart/add?sku=SKU-9"
    sleep 3                                    # abandoned (2s)
    c a "$U/"
    c a "$U/omni/click?o=cart-reminder&v=&to=/cart"
    c a -H 'Content-Type: text/plain' --data-binary \
        '[{"type":"pageview"},{"type":"view","item":"SKU-9"}]' "$U/omni/beacon"

    # what a hostile client sends
    c b -H 'Cookie: omni=v1.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA' "$U/"
    c b -H 'Cookie: omni_first=f1.AAAA.AAAAAAAAAAAAAAAAAAAAAA' "$U/"
    c b --data-binary '{"type":"view"' "$U/omni/beacon"
    c b --data-binary '[{"type":"click","offer":"x"}]' "$U/omni/beacon"
    head -c 20000 /dev/zero | tr '\0' 'x' > "$RUN/big"
    c b -H 'Content-Type: text/plain' --data-binary @"$RUN/big" "$U/omni/beacon"
    c b "$U/omni/click?o=x&to=https://evil.example/"
    c b -H 'X-Omni-Event: cart; item=a' "$U/p/SKU-404"

    # the marketer's screens
    c m "$U/omni/status"
    c m "$U/omni/status?format=prometheus"
    c m "$U/omni/dashboard"
}

# twice: the second round finds the records the first one wrote
traffic
sleep 1
traffic
sleep 1

kill -QUIT "$NGX_PID"
for _ in $(seq 1 300); do
    kill -0 "$NGX_PID" 2>/dev/null || break
    sleep 0.1
done
wait "$NGX_PID" 2>/dev/null || true
NGX_PID=

status=0
python3 - "$VG_LOG" "$RUN/codes" "$RUN/events.log" <<'PY' || status=$?
import json, re, sys

log = open(sys.argv[1]).read()
codes = open(sys.argv[2]).read().split()
# every request, from nginx's own (JSON lines) access log
served = [json.loads(l)["status"] for l in open(sys.argv[3])]

# one valgrind record: a header line and its stack, up to a blank line
records = re.split(r"\n==\d+== \n", log)

# Whose is a record: the first frame of the stack, allocators and the
# libraries aside, that is nginx's or the module's.  A leak of nginx's
# regex context on behalf of an omni_track pattern is nginx's; a jansson
# or LMDB allocation the module did not free is the module's.
ALLOC = re.compile(r": (malloc|calloc|realloc|free|memalign|posix_memalign|"
                   r"ngx_alloc|ngx_calloc|ngx_memalign|ngx_palloc\w*|"
                   r"ngx_pnalloc|ngx_pcalloc|ngx_create_pool|ngx_pfree) ")


def mine(rec):
    for line in rec.splitlines():
        m = re.match(r"==\d+==\s+(at|by) 0x[0-9A-F]+: (.*)", line)
        if not m or ALLOC.search(line):
            continue
        frame = m.group(2)
        if re.search(r"ngx_http_omni|\bomni_|ngx_http_omni_module", frame):
            return True
        if "/usr/sbin/nginx" in frame or re.match(r"ngx_", frame):
            return False
    return False

leaks = {"definitely": [0, 0], "indirectly": [0, 0]}
errors = [0, 0]
shown = []
for rec in records:
    m = re.search(r"([\d,]+) bytes in [\d,]+ blocks are (definitely|"
                  r"indirectly) lost", rec)
    ours = mine(rec)
    if m:
        n = int(m.group(1).replace(",", ""))
        leaks[m.group(2)][0] += n
        if ours:
            leaks[m.group(2)][1] += n
            shown.append(rec)
        continue
    if re.search(r"Invalid (read|write|free)|uninitialised|"
                 r"Mismatched free|overlap", rec):
        errors[0] += 1
        if ours:
            errors[1] += 1
            shown.append(rec)

summary = re.findall(r"==\d+== (?:   )?(definitely lost|indirectly lost|"
                     r"possibly lost|still reachable|ERROR SUMMARY):? (.*)",
                     log)
print("valgrind: %d requests served (%s)" % (
    len(served), ", ".join("%s x%d" % (c, served.count(c))
                           for c in sorted(set(served)))))
for k, v in summary:
    print("valgrind: %-16s %s" % (k, v))
print("valgrind: attributable to the module: definitely lost %d bytes, "
      "indirectly lost %d bytes, %d memory errors (of %d in all)"
      % (leaks["definitely"][1], leaks["indirectly"][1], errors[1],
         errors[0]))
if shown:
    print("\n".join(shown[:10]))
    sys.exit(1)
if any(c >= 500 for c in served) or any(c.startswith("5") for c in codes):
    print("valgrind: 5xx answers")
    sys.exit(1)
if "LEAK SUMMARY" not in log and "All heap blocks were freed" not in log:
    print("valgrind: no leak summary (nginx did not exit?)")
    sys.exit(1)
PY
echo "valgrind: log in $VG_LOG"
exit $status
