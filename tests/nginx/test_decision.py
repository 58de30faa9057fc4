"""The decision engine in nginx, with the example campaigns file
(tests/fixtures/campaigns.example.json): who gets which offer, in which
variant, and the tags each consent allows."""

import collections
import os
import re
import time

import omnitest

CAMPAIGNS = os.path.join(omnitest.ROOT, "tests", "fixtures",
                         "campaigns.example.json")

PROFILES = (
    '{"customer_id": "C1", "first_name": "Ann", "tier": "gold", '
    '"points": 1200, "tags": ["vip"]}\n'
    '{"customer_id": "C2", "first_name": "Ben", "tier": "member", '
    '"points": 10}\n')

HTTP = """
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
omni_abandon_after 2s;
omni_visit_timeout 1s;
omni_campaigns """ + CAMPAIGNS + """;
"""

CONFIG = """
omni on;
add_header X-Offer $omni_offer;
add_header X-Variant $omni_variant;
add_header X-Stage $omni_stage;
add_header X-Visitor $omni_visitor;
location / { proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%;
             proxy_set_header Accept-Encoding ""; }
"""

PAGE = ("<!DOCTYPE html><html><head><title>shop</title></head><body>"
        "<!--omni:slot hero--><p>page</p></body></html>")


def shop(http_config=HTTP, consent=""):
    ngx = omnitest.Nginx("decision")
    for name in ("index.html", "p/SKU-7.html", "cart.html", "order.html",
                 "login.html"):
        ngx.write_file(name, PAGE)
    ngx.write_file("login.html.headers", "X-Omni-Customer: C1\n")
    ngx.write_file("cart.html.headers",
                   "X-Omni-Event: cart; item=SKU-7; qty=1; price=119.90\n")
    ngx.write_file("order.html.headers",
                   "X-Omni-Event: purchase; order=O-1; value=119.90; "
                   "items=SKU-7\n")
    up = omnitest.Upstream(ngx.vars["HTML"])
    ngx.upstreams.append(up)
    ngx.vars["UPSTREAM_PORT"] = str(up.port)
    store = os.path.join(ngx.vars["DATA"], "store")
    os.makedirs(store)
    p = ngx.omnictl("import", "--store", store, "-", input=PROFILES)
    assert p.returncode == 0, p.stderr
    for root, dirs, files in os.walk(store):
        for n in dirs + files + ["."]:
            os.chown(os.path.join(root, n), os.stat(ngx.vars["DATA"]).st_uid,
                     os.stat(ngx.vars["DATA"]).st_gid)
    ngx.write_conf(CONFIG, http_config + consent)
    ngx.start()
    time.sleep(0.3)
    return ngx


class Visitor:
    """A browser: keeps every cookie it is given (the visitor cookie, and
    the first-response cookie that brings its first page's events back)."""

    def __init__(self, ngx, headers=()):
        self.ngx = ngx
        self.jar = {}
        self.headers = list(headers)

    def get(self, uri):
        h = list(self.headers)
        if self.jar:
            h.append(("Cookie", "; ".join("%s=%s" % kv
                                          for kv in self.jar.items())))
        r = self.ngx.get(uri, h)
        assert r.status == 200, r
        for sc in r.header_all("Set-Cookie"):
            name, _, value = sc.split(";")[0].partition("=")
            if value and "max-age=0" not in sc.lower():
                self.jar[name] = value
            else:
                self.jar.pop(name, None)
        return r


def test_vip_then_abandoned_cart_then_purchase():
    ngx = shop()
    failed = True
    try:
        ann = Visitor(ngx)
        ann.get("/")
        ann.get("/login.html")          # the shop says: this is C1
        time.sleep(0.4)

        r = ann.get("/")
        assert r.header("X-Offer") == "vip-early-access", r
        assert "Hi Ann: early access to the winter sale, 1200 points" \
            in r.text(), r

        ann.get("/cart.html")           # SKU-7 in the cart, then leave
        time.sleep(2.5)
        r = ann.get("/")
        assert r.header("X-Offer") == "cart-reminder", r
        assert r.header("X-Stage") == "conversion", r
        assert "Hi Ann, your cart (119.90) is still here" in r.text(), r
        assert "COMEBACK10" in r.text(), r

        # email tells the same story: the customer, as the visitor they were
        p = ngx.omnictl("decide", "--store", ngx.vars["DATA"] + "/store",
                        "--campaigns", CAMPAIGNS, "--customer", "C1",
                        "--abandon-after", "2s", "--channel", "email",
                        "--json")
        assert p.returncode == 0, p.stderr
        assert '"offer":"cart-reminder"' in p.stdout, p.stdout
        assert "Hi Ann, your cart (119.90) is still here" in p.stdout, p.stdout

        ann.get("/order.html")          # bought: back to the VIP offer
        time.sleep(0.4)
        r = ann.get("/")
        assert r.header("X-Offer") == "vip-early-access", r
        assert r.header("X-Stage") == "loyalty", r
        failed = False
    finally:
        ngx.stop()
        ngx.cleanup(failed)


def test_returning_non_buyer_gets_trail_shoe_until_buying_it():
    ngx = shop()
    failed = True
    try:
        v = Visitor(ngx)
        r = v.get("/")
        assert r.header("X-Stage") == "awareness", r
        time.sleep(1.5)                 # omni_visit_timeout 1s: visit 2
        r = v.get("/p/SKU-7.html")
        assert r.header("X-Offer") == "trail-shoe-x", r
        assert "The Trail Shoe X is back in your size." in r.text(), r

        v.get("/order.html")            # bought SKU-7
        time.sleep(0.4)
        r = v.get("/")
        assert r.header("X-Offer") != "trail-shoe-x", r
        assert "Trail Shoe X" not in r.text(), r
        failed = False
    finally:
        ngx.stop()
        ngx.cleanup(failed)


def test_new_visitors_split_into_a_b_and_a_holdout():
    ngx = shop()
    failed = True
    try:
        n = 400
        seen = collections.Counter()
        for _ in range(n):
            r = Visitor(ngx).get("/")
            variant = r.header("X-Variant") or ""
            seen[variant] += 1
            if variant == "holdout":
                assert r.header("X-Offer") is None, r
                assert "omni-offer" not in r.text(), r
            else:
                assert r.header("X-Offer") == "welcome", r
        assert set(seen) <= {"a", "b", "holdout"}, seen
        # 10% holdout, the rest halved: generous bounds for n = 400
        assert 0.04 * n <= seen["holdout"] <= 0.17 * n, seen
        assert 0.33 * n <= seen["a"] <= 0.57 * n, seen
        assert 0.33 * n <= seen["b"] <= 0.57 * n, seen
        failed = False
    finally:
        ngx.stop()
        ngx.cleanup(failed)


def test_a_visitor_keeps_their_variant():
    # one visit whatever the machine's load: a second visit (1 s apart
    # with the shop's omni_visit_timeout) may rightly bring another offer
    ngx = shop(http_config=HTTP.replace("omni_visit_timeout 1s",
                                        "omni_visit_timeout 60s"))
    failed = True
    try:
        for _ in range(20):
            v = Visitor(ngx)
            first = v.get("/").header("X-Variant")
            for _ in range(3):
                assert v.get("/").header("X-Variant") == first
        failed = False
    finally:
        ngx.stop()
        ngx.cleanup(failed)


def test_ad_tags_only_with_ads_consent_and_never_with_gpc():
    ngx = shop(consent="omni_consent cookie=cmp:analytics;\n")
    failed = True
    pixel = "adq.push(['init','PIXEL-123'])"
    try:
        r = Visitor(ngx, [("Cookie", "cmp=analytics")]).get("/")
        assert r.header("X-Visitor"), r          # tracked...
        assert pixel not in r.text(), r          # ...but no ad tag

        r = Visitor(ngx, [("Cookie", "cmp=analytics,ads")]).get("/")
        assert pixel in r.text(), r
        assert re.search(r"<script[^>]*>window\.adq", r.text()), r

        r = Visitor(ngx, [("Cookie", "cmp=analytics,ads"),
                          ("Sec-GPC", "1")]).get("/")
        assert pixel not in r.text(), r
        assert r.header("X-Visitor") is None, r

        r = Visitor(ngx).get("/")                # no consent at all
        assert pixel not in r.text(), r
        failed = False
    finally:
        ngx.stop()
        ngx.cleanup(failed)


def test_a_reload_with_a_broken_campaigns_file_keeps_the_running_one():
    ngx = omnitest.Nginx("campaigns-reload")
    failed = True
    try:
        path = os.path.join(ngx.prefix, "conf", "campaigns.json")
        with open(CAMPAIGNS) as f:
            good = f.read()
        with open(path, "w") as f:
            f.write(good)
        ngx.write_file("index.html", PAGE)
        ngx.write_conf("omni on; add_header X-Offer $omni_offer;\n"
                       "add_header X-Variant $omni_variant;",
                       "omni_secret %%SECRET%%;\nomni_campaigns " + path + ";")
        ngx.start()
        before = set(ngx.worker_pids())

        with open(path, "w") as f:
            f.write(good.replace('"segment": "cart_abandoners"',
                                 '"segment": "cart_abandonners"'))
        ngx.signal(omnitest.signal.SIGHUP)
        time.sleep(1.0)

        log = ngx.log()
        assert re.search(r"\[emerg\].*campaigns\.json:\d+:\d+: .*"
                         r"cart_abandonners", log), log[-2000:]
        assert set(ngx.worker_pids()) == before, "the workers were replaced"
        r = ngx.get("/")
        assert r.status == 200, r
        assert r.header("X-Offer") == "welcome" \
            or r.header("X-Variant") == "holdout", r
        failed = False
    finally:
        ngx.stop()
        ngx.cleanup(failed)


def test_status_counts_exactly_the_impressions_served():
    import json
    ngx = shop(consent="omni_zone kpi 1m;\n")
    failed = True
    try:
        ngx.write_conf(CONFIG + "location = /status { omni off; omni_status; }",
                       HTTP + "omni_zone kpi 1m;\n")
        ngx.reload()
        served = collections.Counter()
        for _ in range(60):
            r = Visitor(ngx).get("/")
            served[(r.header("X-Offer") or "welcome",
                     r.header("X-Variant") or "")] += 1
            if r.header("X-Variant") != "holdout":
                assert '<div class="omni-offer">' in r.text(), r

        s = json.loads(ngx.get("/status").text())
        counted = collections.Counter()
        for row in s["variants"]:
            counted[(row["offer"], row["variant"])] = row["impressions"]
        assert counted == served, (counted, served)

        welcome = [o for o in s["offers"] if o["offer"] == "welcome"][0]
        shown = sum(n for (o, v), n in served.items() if v != "holdout")
        assert welcome["impressions"] == shown, (welcome, served)

        # every one of the 60 pages was rewritten; a HEAD and a 404 are not
        assert ngx.get("/", method="HEAD").status == 200
        assert ngx.get("/missing.html").status == 404
        pages = json.loads(ngx.get("/status").text())["operations"]["pages"]
        assert pages["rewritten"] == 60, pages
        assert pages["skipped"]["header_only"] == 1, pages
        assert pages["skipped"]["status"] == 1, pages
        failed = False
    finally:
        ngx.stop()
        ngx.cleanup(failed)


def test_tag_snippets_carry_the_request_event():
    ngx = omnitest.Nginx("tag-events")
    failed = True
    try:
        for name in ("p/SKU-7.html", "cart.html", "order.html"):
            ngx.write_file(name, PAGE)
        ngx.write_file("cart.html.headers",
                       "X-Omni-Event: cart; item=SKU-9; qty=2; price=19.90\n")
        ngx.write_file("order.html.headers",
                       "X-Omni-Event: purchase; order=O-7; value=139.80; "
                       "items=SKU-7,SKU-9\n")
        up = omnitest.Upstream(ngx.vars["HTML"])
        ngx.upstreams.append(up)
        ngx.vars["UPSTREAM_PORT"] = str(up.port)
        ngx.write_conf(CONFIG + "omni_track view ^/p/([A-Za-z0-9-]+)\\.html$"
                       " item=$1;",
                       "omni_secret %%SECRET%%;\nomni_store %%DATA%%/store;\n"
                       "omni_campaigns " + CAMPAIGNS + ";")
        ngx.start()

        v = Visitor(ngx)
        v.get("/p/SKU-7.html")          # the first request mints the id
        t = v.get("/p/SKU-7.html").text()
        assert "adq.push(['track','ViewContent',{content_ids:['SKU-7']}]);" \
            in t, t
        t = v.get("/cart.html").text()
        assert ("adq.push(['track','AddToCart',{content_ids:['SKU-9'],"
                "value:39.80}]);") in t, t
        assert "ViewContent" not in t, t
        t = v.get("/order.html").text()
        assert "adq.push(['track','Purchase',{value:139.80}]);" in t, t
        failed = False
    finally:
        ngx.stop()
        ngx.cleanup(failed)
