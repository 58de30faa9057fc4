"""KPIs counted from real tracking: clicks, product views, carts and
purchases, attributed to the offer the visitor last clicked, by channel."""

import json
import os
import time

import omnitest

HTTP = """
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
omni_zone kpi 1m;
"""

CONFIG = """
omni on;
location /omni/click { omni_click; }
location /status { omni off; omni_status; }
location / {
    omni_track view ^/p/([A-Za-z0-9-]+)\\.html$ item=$1;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%;
}
"""


def status(ngx):
    r = ngx.get("/status")
    assert r.status == 200, r
    return json.loads(r.text())


def row(rows, **keys):
    for r in rows:
        if all(r.get(k) == v for k, v in keys.items()):
            return r
    raise AssertionError("no row %r in %s" % (keys, json.dumps(rows)))


def test_carts_and_purchases_are_attributed_to_the_clicked_offer():
    ngx = omnitest.Nginx("kpi-tracking")
    failed = True
    try:
        ngx.write_file("p/SKU-7.html", "<html><body>shoe</body></html>")
        ngx.write_file("cart.html", "<html><body>cart</body></html>")
        ngx.write_file("cart.html.headers",
                       "X-Omni-Event: cart; item=SKU-7; qty=1; price=119.90\n")
        ngx.write_file("order.html", "<html><body>thanks</body></html>")
        ngx.write_file("order.html.headers",
                       "X-Omni-Event: purchase; order=O-9; value=119.90; "
                       "items=SKU-7\n")
        up = omnitest.Upstream(ngx.vars["HTML"])
        ngx.upstreams.append(up)
        ngx.vars["UPSTREAM_PORT"] = str(up.port)
        os.makedirs(os.path.join(ngx.vars["DATA"], "store"))
        os.chown(os.path.join(ngx.vars["DATA"], "store"),
                 os.stat(ngx.vars["DATA"]).st_uid,
                 os.stat(ngx.vars["DATA"]).st_gid)
        ngx.write_conf(CONFIG, HTTP)
        ngx.start()
        time.sleep(0.3)

        # arrive from an email, click the offer, then shop
        r = ngx.get("/p/SKU-7.html?utm_medium=email&utm_source=news")
        cookie = r.header("Set-Cookie").split(";")[0]
        jar = [("Cookie", cookie)]
        r = ngx.get("/omni/click?o=trail-shoe-x&v=a&to=/p/SKU-7.html", jar)
        assert r.status == 302, r
        time.sleep(0.4)     # the click reaches the record
        assert ngx.get("/cart.html", jar).status == 200
        assert ngx.get("/order.html", jar).status == 200
        time.sleep(0.3)

        s = status(ngx)
        offer = row(s["offers"], offer="trail-shoe-x")
        assert offer["clicks"] == 1, offer
        assert offer["carts"] == 1, offer
        assert offer["purchases"] == 1, offer
        assert offer["revenue_cents"] == 11990, offer
        variant = row(s["variants"], offer="trail-shoe-x", variant="a")
        assert variant["purchases"] == 1, variant

        email = row(s["channels"], channel="email")
        assert email["visits"] == 1, email
        assert email["views"] == 1, email

        assert s["totals"]["views"] == 1, s["totals"]
        assert s["totals"]["purchases"] == 1, s["totals"]
        ops = s["operations"]
        assert ops["events"]["queued"] >= 5, ops
        assert ops["store"]["lookups"] >= 1, ops
        assert ops["events"]["dropped"] == 0, ops
        failed = False
    finally:
        ngx.stop()
        ngx.cleanup(failed)
