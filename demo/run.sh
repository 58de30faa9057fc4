#!/bin/sh
# demo/run.sh start|stop: the demo storefront on http://127.0.0.1:8080
#
# The shop (demo/shop.py) listens on 127.0.0.1:8081; nginx with the module
# sits in front of it.  Everything the demo writes is in demo/run/.

set -eu

cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUN=${DEMO_RUN:-$ROOT/demo/run}
BUILD=$ROOT/build
PORT=${DEMO_PORT:-8080}
SHOP_PORT=${DEMO_SHOP_PORT:-8081}
ABANDON=${DEMO_ABANDON_AFTER:-30s}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}

stop() {
    if [ -f "$RUN/nginx.pid" ]; then
        kill -QUIT "$(cat "$RUN/nginx.pid")" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            [ -f "$RUN/nginx.pid" ] || break
            sleep 0.3
        done
    fi
    if [ -f "$RUN/shop.pid" ]; then
        kill "$(cat "$RUN/shop.pid")" 2>/dev/null || true
        rm -f "$RUN/shop.pid"
    fi
}

wait_port() {
    for _ in $(seq 1 50); do
        if curl -s -o /dev/null "http://127.0.0.1:$1/"; then
            return 0
        fi
        sleep 0.1
    done
    echo "demo: nothing answers on port $1" >&2
    return 1
}

case "${1:-start}" in

stop)
    stop
    echo "demo: stopped"
    exit 0
    ;;

start)
    ;;

*)
    echo "usage: demo/run.sh start|stop" >&2
    exit 2
    ;;
esac

stop

mkdir -p "$RUN/tmp" "$RUN/store" "$RUN/kpi"

[ -f "$RUN/secret" ] || "$BUILD/omnictl" gen-secret "$RUN/secret"

"$BUILD/omnictl" import --store "$RUN/store" "$ROOT/demo/profiles.jsonl"

# nginx's workers run as nobody when it is started by root
if [ "$(id -u)" = 0 ]; then
    chown -R nobody "$RUN/store" "$RUN/tmp" "$RUN/kpi"
fi

sed -e "s|@RUN@|$RUN|g" -e "s|@BUILD@|$BUILD|g" -e "s|@ROOT@|$ROOT|g" \
    -e "s|@PORT@|$PORT|g" -e "s|@SHOP_PORT@|$SHOP_PORT|g" \
    -e "s|@ABANDON@|$ABANDON|g" \
    "$ROOT/demo/nginx.conf.in" > "$RUN/nginx.conf"

nohup python3 "$ROOT/demo/shop.py" "$SHOP_PORT" > "$RUN/shop.log" 2>&1 &
echo $! > "$RUN/shop.pid"
wait_port "$SHOP_PORT"

# nginx reads $NGINX as inherited sockets: keep it out of its way
env -u NGINX "$NGINX_BIN" -p "$RUN" -c "$RUN/nginx.conf"
wait_port "$PORT"

U=http://127.0.0.1:$PORT
cat <<MSG

  Northwind Outfitters is open on $U

  Try, in a browser (or with curl -c/-b to keep the cookie):

  1. A new visitor:            $U/
     the welcome offer, in variant a or b (or none: the 10% holdout)
  2. A product, then the cart: $U/p/SKU-7   ->  "Add to cart"
  3. Leave for $ABANDON (omni_abandon_after $ABANDON), then come back to $U/
     the reminder: "your cart (119.90) is still here", with COMEBACK10
     and email/SMS tools see you:  build/omnictl abandoned --store $RUN/store
  4. Arrive from a newsletter: $U/?utm_source=news&utm_medium=email
  5. Sign in as a VIP:         $U/login?customer=C1
     "Hi Ann: early access to the winter sale, 1200 points to spend"
  6. The dashboard:            $U/omni/dashboard
     the status JSON:          $U/omni/status   (Prometheus: ?format=prometheus)
  7. Why a customer gets what they get, for an email:
     build/omnictl decide --store $RUN/store --campaigns demo/campaigns.json \
       --brand northwind --customer C1

  Logs: $RUN/error.log, one JSON line per request in $RUN/events.log
  Stop: make demo-stop

MSG
