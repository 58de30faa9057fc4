"""Abuse: what a hostile or careless client can make the module keep.

- A flood of requests that never return the cookie (a crawler, a
  scanner, a bot) writes nothing to the store: its events wait in the
  first-response cookie it throws away.
- A visitor who does come back gets their first page recorded, once,
  however many requests carry the cookie back at the same time; the
  cookie is bound to the visitor id (another visitor's is refused) and
  bounded in size.
- A single visitor sending as much as they can (long ids, every kind of
  event) keeps a record within OMNI_ACTIVITY_RECORD_MAX.
- limit_req keyed on $omni_new_visitor slows down only clients without
  a cookie (the configuration the README recommends).

The beacon's own limits (16 KiB, 32 events: 413) are in
t/060-tracking.t, TEST 4; the visitor cookie's size limit in
t/001-identity.t, TEST 4.
"""

import json
import os
import re
import subprocess
import threading
import time

import omnitest
from test_faults import (HTTP, CONFIG, check, cookie, get, new_vid, omnictl,
                         populate, start, statuses, store, totals, visitor,
                         wrk, wrk_result)


UPSTREAM = """
location /shop/ {
    omni on;
    omni_track view ^/shop/p/([A-Za-z0-9-]+)\\.html$ item=$1;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
}
"""

PAGE = "<html><head><title>p</title></head><body>shoe</body></html>"

# what omni_activity_encode() never exceeds (include/omni/activity.h)
RECORD_MAX = 8192


def set_cookies(r):
    return dict(v.split(";")[0].split("=", 1)
                for v in r.header_all("Set-Cookie"))


def record_sizes(ngx):
    """The size of every activity record, as LMDB holds it."""
    out = subprocess.run(["mdb_dump", "-s", "visitors",
                          os.path.join(store(ngx), "activity")],
                         capture_output=True, text=True).stdout
    lines = out.split("HEADER=END\n", 1)[1].splitlines()
    values = [l.strip() for l in lines[1::2] if l.strip() != "DATA=END"]
    return [len(v) // 2 for v in values]


def test_cookieless_flood_does_not_grow_the_store():
    """wrk, which never sends cookies back, on a tracked product page (a
    page view, a product view, an X-Omni-Event from the shop): every
    response sets the cookies, and the store does not get one record
    more.  Its file uses as many pages as before."""
    ngx = start("abuse-flood", upstream=True, config_extra=UPSTREAM)
    failed = True
    try:
        ngx.write_file("p/SKU-7.html", PAGE)
        ngx.write_file("p/SKU-7.html.headers",
                       "X-Omni-Event: cart; item=SKU-7; qty=1\n")
        populate(ngx, 10)
        time.sleep(0.3)
        before = totals(ngx)
        used = subprocess.run(["mdb_stat", "-e", os.path.join(
            store(ngx), "activity")], capture_output=True, text=True).stdout
        pages_before = re.search(r"Number of pages used: (\d+)", used)

        r = get(ngx, "/shop/p/SKU-7.html")
        got = set_cookies(r)
        if "omni" not in got or not got.get("omni_first", "").startswith(
                "f1."):
            raise omnitest.Failure("cookies of a first response: %r" % got)

        seconds = 3
        p, out = wrk(ngx, seconds, path="/shop/p/SKU-7.html")
        res = wrk_result(p, out, seconds)
        if res["non2xx"] or res["errors"] or res["requests"] < 500:
            raise omnitest.Failure("wrk:\n" + res["text"])
        time.sleep(0.4)
        ngx.stop()

        after = totals(ngx)
        used = subprocess.run(["mdb_stat", "-e", os.path.join(
            store(ngx), "activity")], capture_output=True, text=True).stdout
        pages_after = re.search(r"Number of pages used: (\d+)", used)
        print("    %d cookie-less requests: %d visitors before, %d after; "
              "%s pages used before, %s after"
              % (res["requests"], before["visitors"], after["visitors"],
                 pages_before.group(1), pages_after.group(1)))
        if after != before or pages_after.group(1) != pages_before.group(1):
            raise omnitest.Failure("the store grew: %r -> %r" % (before,
                                                                 after))
        check(ngx)
        failed = False
    finally:
        ngx.kill()
        ngx.cleanup(failed)


def test_first_page_recorded_once_when_the_visitor_returns():
    """A landing page from an email campaign, then six requests that all
    bring both cookies back at once (a page's images, two tabs): the
    store has the first page's campaign and product view once, and the
    six page views; the cookie is deleted by the answers."""
    ngx = start("abuse-once", upstream=True, config_extra=UPSTREAM,
                workers=2)
    failed = True
    try:
        ngx.write_file("p/SKU-7.html", PAGE)
        r = get(ngx, "/shop/p/SKU-7.html?utm_medium=email&utm_source=news"
                     "&utm_campaign=spring")
        jar = set_cookies(r)
        vid = jar["omni"].split(".")[1]
        back = "; ".join("%s=%s" % kv for kv in jar.items())

        time.sleep(0.3)
        if visitor(ngx, vid) is not None:
            raise omnitest.Failure("written before the visitor came back")

        answers = []

        def one():
            answers.append(get(ngx, "/", ngx_cookie=back))

        threads = [threading.Thread(target=one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        for a in answers:
            if a.status != 200 or "omni_first=; Path=/; Max-Age=0" not in \
                    " ".join(a.header_all("Set-Cookie")):
                raise omnitest.Failure("a return:\n%s" % a)

        time.sleep(0.4)
        ngx.stop()
        got = visitor(ngx, vid)
        if got is None:
            raise omnitest.Failure("nothing recorded")
        if (got["pageviews"] != 7 or got["visits"] != 1
                or got["viewed"] != ["SKU-7"]
                or got["first_touch"]["channel"] != "email"
                or got["first_touch"]["campaign"] != "spring"):
            raise omnitest.Failure("record: %r" % got)
        check(ngx)
        failed = False
    finally:
        ngx.kill()
        ngx.cleanup(failed)


def test_first_cookie_bound_to_its_visitor_and_bounded():
    """Another visitor's first-response cookie (or a forged one) is
    refused: logged at info, never recorded, deleted; a first response
    with 32 long events carries what fits in the cookie's 1 KiB."""
    ngx = start("abuse-bound")
    failed = True
    try:
        events = [{"type": "view", "item": "I%02d-%s" % (i, "x" * 100)}
                  for i in range(32)]
        r = ngx.get("/omni/beacon", method="POST",
                    body=json.dumps(events).encode())
        if r.status != 204:
            raise omnitest.Failure("beacon: %s" % r)
        theirs = set_cookies(r)
        first = theirs["omni_first"]
        if len(first) > 1400:
            raise omnitest.Failure("a first cookie of %d bytes" % len(first))

        # somebody else's visitor cookie with this first cookie
        mine = new_vid()
        r = get(ngx, "/", ngx_cookie="%s; omni_first=%s"
                % (cookie(ngx, mine), first))
        if "omni_first=; Path=/; Max-Age=0" not in \
                " ".join(r.header_all("Set-Cookie")):
            raise omnitest.Failure("not deleted:\n%s" % r)

        # the right visitor, a changed byte
        vid = theirs["omni"].split(".")[1]
        bad = first[:10] + ("A" if first[10] != "A" else "B") + first[11:]
        get(ngx, "/", ngx_cookie="omni=%s; omni_first=%s"
            % (theirs["omni"], bad))

        # the right visitor, the right cookie
        get(ngx, "/", ngx_cookie="omni=%s; omni_first=%s"
            % (theirs["omni"], first))
        time.sleep(0.4)
        ngx.stop()

        if visitor(ngx, mine)["viewed"]:
            raise omnitest.Failure("another visitor's events were taken")
        got = visitor(ngx, vid)
        print("    a first response of 32 views of 104-byte ids: a %d-byte "
              "cookie carrying %d of them" % (len(first), len(got["viewed"])))
        if not 4 <= len(got["viewed"]) < 32:
            raise omnitest.Failure("carried: %r" % got)
        n = len(re.findall(r"unusable first-response cookie \(signature "
                           r"mismatch\)", ngx.log()))
        if n != 2:
            raise omnitest.Failure("%d lines for 2 forged cookies" % n)
        check(ngx)
        failed = False
    finally:
        ngx.kill()
        ngx.cleanup(failed)


def test_one_visitor_cannot_grow_a_record():
    """One visitor sends everything they can: 200 beacons of 32 events
    with the longest ids (views, carts, purchases, impressions are the
    module's own), long utm values on 100 pages: every record stays
    within 8 KiB, and the lists keep their bounds."""
    ngx = start("abuse-record")
    failed = True
    try:
        vid = populate(ngx, 1)[0]
        jar = [("Cookie", cookie(ngx, vid))]
        k = "k" * 128
        sent = 0
        for b in range(200):
            # within the beacon's 16 KiB: 32 views or carts, 5 purchases
            events = []
            for i in range(32 if b % 3 else 5):
                n = b * 32 + i
                if b % 3 == 1:
                    events.append({"type": "view", "item": "%05d%s"
                                   % (n, k[5:])})
                elif b % 3 == 2:
                    events.append({"type": "cart", "item": "%05d%s"
                                   % (n, k[5:]), "qty": 9999,
                                   "price": "99999.99"})
                else:
                    events.append({"type": "purchase", "order": "%05d%s"
                                   % (n, k[5:]), "items": ["%05d%s%02d"
                                   % (n, k[7:], j) for j in range(20)]})
            sent += len(events)
            r = ngx.get("/omni/beacon", method="POST", headers=jar,
                        body=json.dumps(events).encode())
            if r.status != 204:
                raise omnitest.Failure("beacon %d: %d %s" % (b, r.status,
                                                             r.text()))
        for i in range(100):
            q = "utm_medium=social&utm_source=s%03d%s&utm_campaign=c%s" % (
                i, "s" * 150, "c" * 150)
            get(ngx, "/?" + q, vid=vid)
        time.sleep(0.5)
        ngx.stop()

        sizes = record_sizes(ngx)
        got = visitor(ngx, vid)
        print("    %d events with the longest ids and 100 campaigns from one "
              "visitor: a record of %d bytes" % (sent, max(sizes)))
        if max(sizes) > RECORD_MAX:
            raise omnitest.Failure("a record of %d bytes" % max(sizes))
        if len(got["cart"]) > 20 or len(got["viewed"]) > 20 \
                or len(got["purchased"]) > 20:
            raise omnitest.Failure("lists: %r" % got)
        check(ngx)
        failed = False
    finally:
        ngx.kill()
        ngx.cleanup(failed)


LIMIT_HTTP = """
map $omni_new_visitor $omni_flood_key {
    1        $binary_remote_addr;
    default  "";
}
limit_req_zone $omni_flood_key zone=omni_new:1m rate=5r/s;
limit_req_status 429;
"""

# a file, not "return": return answers in the rewrite phase, before
# limit_req's preaccess phase
LIMIT_CONFIG = """
location /limited/ {
    omni on;
    limit_req zone=omni_new burst=10 nodelay;
}
"""


def test_limit_req_on_new_visitors_only():
    """The README's pairing: limit_req keyed on $omni_new_visitor.  A
    client without a cookie gets 429 past its burst; a visitor with a
    valid cookie, from the same address, is never limited."""
    ngx = start("abuse-limit", http_extra=LIMIT_HTTP,
                config_extra=LIMIT_CONFIG)
    failed = True
    try:
        ngx.write_file("limited/index.html", "<html><body>page</body></html>")
        vid = populate(ngx, 1)[0]
        new = [get(ngx, "/limited/").status for _ in range(40)]
        known = [get(ngx, "/limited/", vid=vid).status for _ in range(40)]
        print("    40 cookie-less requests: %d answered, %d limited; 40 "
              "with a cookie: %d answered"
              % (new.count(200), new.count(429), known.count(200)))
        if new.count(429) < 20 or set(new) - {200, 429}:
            raise omnitest.Failure("cookie-less: %r" % new)
        if set(known) != {200}:
            raise omnitest.Failure("with a cookie: %r" % known)
        ngx.stop()
        codes = statuses(ngx)
        if any(c.startswith("5") for c in codes):
            raise omnitest.Failure("5xx: %r" % codes)
        failed = False
    finally:
        ngx.kill()
        ngx.cleanup(failed)


XSS = "<script>alert(1)</script>\"'&`"


def test_xss_through_crm_data_is_escaped():
    """A CRM profile whose name is an XSS payload: the greeting the
    offer shows escapes it for HTML, and the raw payload is nowhere in
    the page (the example campaigns: "Hi {{first_name|there}}")."""
    import test_decision as td

    saved = td.PROFILES
    td.PROFILES = json.dumps({"customer_id": "C1", "first_name": XSS,
                              "tier": "gold", "points": 1200,
                              "tags": ["vip"]}) + "\n"
    try:
        ngx = td.shop()
    finally:
        td.PROFILES = saved
    failed = True
    try:
        v = td.Visitor(ngx)
        v.get("/")
        v.get("/login.html")            # the shop says: this is C1
        time.sleep(0.4)
        r = v.get("/")
        page = r.text()
        want = ("Hi &lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"
                "&#96;: early access")
        if r.header("X-Offer") != "vip-early-access" or want not in page:
            raise omnitest.Failure("the greeting is not escaped:\n%s" % r)
        if "<script>alert(1)" in page or XSS in page:
            raise omnitest.Failure("the payload is in the page:\n%s" % r)
        ngx.stop()
        failed = False
    finally:
        ngx.kill()
        ngx.cleanup(failed)
