"""KPI counters end to end: exact counts after scripted traffic, counters
kept across a reload, a resize and a restart, a reset that stays reset,
the Prometheus output under a strict parser, and the dashboard in a real
headless Chromium (Debian's, started without any download), checked
number by number against the status JSON, with screenshots saved to
build/artifacts/.
"""

import html.parser
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time

import omnitest
import promparse
from omnitest import Failure

ROOT = omnitest.ROOT
SEED = os.path.join(ROOT, "build", "kpi-seed")
ARTIFACTS = os.path.join(ROOT, "build", "artifacts")
CHROMIUM = "/usr/bin/chromium"
TOKEN = "e2e-reset-token-0123456789"

METRICS = ["visits", "views", "impressions", "clicks", "carts", "purchases",
           "revenue_cents", "abandoned", "recovered"]

# one location per event: the counting path of the module itself
COUNT_LOCATIONS = """
location = /status { omni_status; }
location = /dashboard { omni_dashboard; }
location = /e/visit { omni_count visit channel=$arg_c segments=$arg_s;
                      return 204; }
location = /e/view { omni_count view channel=$arg_c segments=$arg_s;
                     return 204; }
location = /e/impression {
    omni_count impression offer=$arg_o variant=$arg_v channel=$arg_c
               segments=$arg_s;
    return 204;
}
location = /e/click { omni_count click offer=$arg_o variant=$arg_v
                      channel=$arg_c segments=$arg_s; return 204; }
location = /e/cart { omni_count cart offer=$arg_o variant=$arg_v
                     channel=$arg_c segments=$arg_s; return 204; }
location = /e/purchase {
    omni_count purchase offer=$arg_o variant=$arg_v channel=$arg_c
               segments=$arg_s value=$arg_value;
    return 204;
}
location = /e/abandon { omni_count abandon channel=$arg_c segments=$arg_s;
                        return 204; }
"""


# ---------------------------------------------------------------- helpers


def start(name, http_config, config=COUNT_LOCATIONS, workers=2,
          main_config=""):
    ngx = omnitest.Nginx(name, workers=workers)
    # the workers run as nobody and write the snapshot there
    os.chmod(ngx.vars["DATA"], 0o777)
    ngx.write_conf(config, http_config, main_config)
    rc, out = ngx.test_config()
    if rc != 0:
        raise Failure("nginx -t failed:\n" + out)
    ngx.start()
    return ngx


def status(ngx):
    r = ngx.get("/status")
    if r.status != 200:
        raise Failure("status: %d\n%s" % (r.status, r))
    return json.loads(r.body)


def send(ngx, event, **args):
    query = "&".join("%s=%s" % (k, v) for k, v in args.items() if v)
    r = ngx.get("/e/%s?%s" % (event, query))
    if r.status != 204:
        raise Failure("/e/%s answered %d" % (event, r.status))


def check_log(ngx, allowed=()):
    for line in ngx.log().splitlines():
        if omnitest.BAD_LOG.search(line) or omnitest.ERROR_LOG.search(line):
            if not any(a in line for a in allowed):
                raise Failure("unexpected line in error_log:\n" + line)


def finish(ngx, failed):
    try:
        ngx.kill()
    except OSError:
        pass
    ngx.cleanup(failed)


class Expected:
    """What the status must say, computed independently of the module."""

    def __init__(self):
        self.totals = dict.fromkeys(METRICS, 0)
        self.offers = {}
        self.variants = {}
        self.channels = {}
        self.segments = {}

    @staticmethod
    def row(table, key):
        return table.setdefault(key, dict.fromkeys(METRICS, 0))

    def count(self, event, o=None, v=None, c=None, s=(), value=0):
        metric = {"visit": "visits", "view": "views",
                  "impression": "impressions", "click": "clicks",
                  "cart": "carts", "purchase": "purchases",
                  "abandon": "abandoned"}[event]
        rows = [self.totals]
        if o:
            if v != "holdout":
                rows.append(self.row(self.offers, o))
            if v:
                rows.append(self.row(self.variants, (o, v)))
        if c:
            rows.append(self.row(self.channels, c))
        for seg in s:
            rows.append(self.row(self.segments, seg))
        for r in rows:
            r[metric] += 1
            if event == "purchase":
                r["revenue_cents"] += value


def scripted_traffic(ngx, exp, rnd, n):
    offers = {"welcome": ["a", "b", "holdout"], "cart-reminder": [None],
              "vip-early": ["x", "holdout"]}
    channels = ["email", "search", "direct", "social", None]
    segments = [(), ("vip",), ("new", "browsers"), ("vip", "big_cart")]

    for _ in range(n):
        event = rnd.choice(["visit", "view", "impression", "impression",
                            "click", "cart", "purchase", "abandon"])
        c = rnd.choice(channels)
        s = rnd.choice(segments)
        o = v = None
        value = 0
        if event in ("impression", "click", "cart", "purchase"):
            o = rnd.choice(sorted(offers))
            v = rnd.choice(offers[o])
        if event == "purchase":
            value = rnd.randint(0, 25000)
        exp.count(event, o, v, c, s, value)
        send(ngx, event, o=o, v=v, c=c, s=",".join(s),
             value=("%d.%02d" % divmod(value, 100)) if event == "purchase"
             else None)


def compare(st, exp):
    if st["totals"] != exp.totals:
        raise Failure("totals %r, expected %r" % (st["totals"], exp.totals))

    got = {r["offer"]: {m: r[m] for m in METRICS} for r in st["offers"]}
    if got != exp.offers:
        raise Failure("offers %r\nexpected %r" % (got, exp.offers))

    got = {(r["offer"], r["variant"]): {m: r[m] for m in METRICS}
           for r in st["variants"]}
    if got != exp.variants:
        raise Failure("variants %r\nexpected %r" % (got, exp.variants))

    for name, key in (("channels", "channel"), ("segments", "segment")):
        got = {r[key]: {m: r[m] for m in METRICS} for r in st[name]}
        want = getattr(exp, name)
        if got != want:
            raise Failure("%s %r\nexpected %r" % (name, got, want))


def counters(st):
    """Everything a restart or a reload must keep."""
    keep = dict(st)
    for k in ("now", "persisted", "series", "zone"):
        keep.pop(k, None)
    keep["operations"] = json.loads(json.dumps(st["operations"]))
    keep["operations"]["kpi"].pop("persist_writes", None)
    keep["operations"]["kpi"].pop("persist_errors", None)
    keep["series_sum"] = {k: sum(v) for k, v in st["series"].items()
                          if isinstance(v, list)}
    return keep


def two_proportion(x1, n1, x2, n2):
    """The statistics, computed here with Python's own erfc."""
    p1, p2 = x1 / n1, x2 / n2
    pool = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
    z = (p1 - p2) / se
    p = math.erfc(abs(z) / math.sqrt(2))
    v = 1 / x1 - 1 / n1 + 1 / x2 - 1 / n2
    rr = p1 / p2
    zq = 1.959963984540054
    return {"z": z, "p_value": p, "lift": p1 / p2 - 1,
            "lift_ci": [rr * math.exp(-zq * math.sqrt(v)) - 1,
                        rr * math.exp(zq * math.sqrt(v)) - 1]}


def close(a, b, rel=1e-9, abs_=1e-12):
    return abs(a - b) <= max(abs_, rel * abs(b))


# ---------------------------------------------------------------- tests


def test_counts_are_exact():
    ngx = start("kpi-exact", "omni_zone kpi 1m;")
    failed = True
    try:
        exp = Expected()
        scripted_traffic(ngx, exp, random.Random(20261122), 400)
        st = status(ngx)
        compare(st, exp)

        # Prometheus says the same, to the cent
        fams = promparse.parse(ngx.get("/status?format=prometheus").body)
        for o, row in exp.offers.items():
            for m, prom in (("impressions", "impressions"),
                            ("clicks", "clicks"),
                            ("purchases", "purchases")):
                got = fams["omni_offer_%s_total" % prom].value(offer=o)
                if got != row[m]:
                    raise Failure("prometheus %s %s: %r, expected %r"
                                  % (o, m, got, row[m]))
            got = fams["omni_offer_revenue_total"].value(offer=o)
            if round(got * 100) != row["revenue_cents"]:
                raise Failure("prometheus revenue %s: %r" % (o, got))
        for (o, v), row in exp.variants.items():
            got = fams["omni_variant_impressions_total"].value(offer=o,
                                                               variant=v)
            if got != row["impressions"]:
                raise Failure("prometheus %s/%s impressions %r" % (o, v, got))

        # the experiments' statistics, against an independent computation
        for e in st["experiments"]:
            c = e["control"]
            for arm in e["variants"]:
                if arm["conversions"] == 0 or c["conversions"] == 0:
                    continue
                want = two_proportion(arm["conversions"], arm["exposures"],
                                      c["conversions"], c["exposures"])
                for k in ("z", "p_value", "lift"):
                    if not close(arm[k], want[k]):
                        raise Failure("%s/%s %s: %r, expected %r"
                                      % (e["offer"], arm["variant"], k,
                                         arm[k], want[k]))
                for i in (0, 1):
                    if not close(arm["lift_ci"][i], want["lift_ci"][i]):
                        raise Failure("lift_ci %r, expected %r"
                                      % (arm["lift_ci"], want["lift_ci"]))
        if not st["experiments"]:
            raise Failure("no experiment in the status")

        ngx.stop()
        check_log(ngx)
        failed = False
    finally:
        finish(ngx, failed)


def test_reload_keeps_counters():
    ngx = start("kpi-reload", "omni_zone kpi 1m;")
    failed = True
    try:
        exp = Expected()
        rnd = random.Random(7)
        scripted_traffic(ngx, exp, rnd, 120)
        before = counters(status(ngx))

        ngx.reload()
        after = counters(status(ngx))
        if after != before:
            raise Failure("a reload changed the counters:\n%r\n%r"
                          % (before, after))

        # and counting goes on in the same zone
        scripted_traffic(ngx, exp, rnd, 60)
        compare(status(ngx), exp)

        # a resized zone starts from the old one's counters
        before = counters(status(ngx))
        ngx.write_conf(COUNT_LOCATIONS, "omni_zone kpi 2m;")
        ngx.reload()
        st = status(ngx)
        if st["zone"]["size"] != 2 * 1024 * 1024:
            raise Failure("the zone was not resized: %r" % st["zone"])
        if counters(st) != before:
            raise Failure("a resize lost counters:\n%r\n%r"
                          % (before, counters(st)))
        if not re.search(r'omni_zone "kpi" resized: \d+ counter rows '
                         r'carried over', ngx.log()):
            raise Failure("no resize notice in the log")

        ngx.stop()
        check_log(ngx)
        failed = False
    finally:
        finish(ngx, failed)


def test_restart_keeps_counters():
    conf = ("omni_zone kpi 1m persist=%%DATA%%/kpi.snap "
            "persist_interval=1s;")
    main = "thread_pool default threads=2;"
    ngx = start("kpi-restart", conf, main_config=main)
    failed = True
    try:
        exp = Expected()
        scripted_traffic(ngx, exp, random.Random(11), 150)
        before = status(ngx)

        # worker 0 writes the snapshot on its timer, in the thread pool
        deadline = time.time() + 10
        while time.time() < deadline:
            st = status(ngx)
            if st["persisted"] and st["operations"]["kpi"]["persist_writes"]:
                break
            time.sleep(0.2)
        else:
            raise Failure("no periodic snapshot:\n%r" % st)
        if not os.path.exists(os.path.join(ngx.vars["DATA"], "kpi.snap")):
            raise Failure("no snapshot file")

        # a stop and a start: the master saved the last counts at exit
        ngx.stop()
        ngx.start()
        after = status(ngx)
        compare(after, exp)
        if counters(after) != counters(before):
            raise Failure("a restart changed the counters:\n%r\n%r"
                          % (counters(before), counters(after)))
        if after["since"] != before["since"]:
            raise Failure("since moved: %r -> %r" % (before["since"],
                                                     after["since"]))
        if not re.search(r'omni_zone "kpi": \d+ counter rows restored',
                         ngx.log()):
            raise Failure("no restore notice in the log")

        # a fast stop (TERM) saves too
        scripted_traffic(ngx, exp, random.Random(12), 30)
        ngx.signal(signal.SIGTERM)
        deadline = time.time() + 10
        while ngx.pid() and omnitest.alive(ngx.pid()) \
                and time.time() < deadline:
            time.sleep(0.05)
        ngx.start()
        compare(status(ngx), exp)

        ngx.stop()
        check_log(ngx)
        failed = False
    finally:
        finish(ngx, failed)


def test_reset_survives_restart():
    conf = "omni_zone kpi 1m persist=%%DATA%%/kpi.snap;"
    config = COUNT_LOCATIONS.replace(
        "location = /status { omni_status; }",
        "location = /status { omni_status; omni_status_reset_token %s; }"
        % TOKEN)
    ngx = start("kpi-reset", conf, config=config,
                main_config="thread_pool default threads=2;")
    failed = True
    try:
        scripted_traffic(ngx, Expected(), random.Random(3), 40)
        ngx.stop()
        ngx.start()
        if status(ngx)["totals"]["impressions"] == 0:
            raise Failure("nothing counted before the reset")

        r = ngx.get("/status?reset", headers=[("X-Omni-Token", TOKEN)],
                    method="POST")
        if r.status != 200:
            raise Failure("reset answered %d" % r.status)

        # the reset wrote the snapshot at once: kill -9 cannot undo it
        deadline = time.time() + 5
        while time.time() < deadline:
            if status(ngx)["persisted"]:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        # the master first, or it respawns the workers killed before it
        pids = [ngx.pid()] + ngx.worker_pids()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 10
        while any(omnitest.alive(p) for p in pids) and time.time() < deadline:
            time.sleep(0.05)
        ngx.start()

        st = status(ngx)
        if any(st["totals"].values()):
            raise Failure("counters came back after a reset: %r"
                          % st["totals"])
        if any(r["impressions"] for r in st["offers"]):
            raise Failure("offer counters came back: %r" % st["offers"])

        ngx.stop()
        check_log(ngx)
        failed = False
    finally:
        finish(ngx, failed)


def test_prometheus_strict():
    config = COUNT_LOCATIONS + r"""
location = /odd {
    set $odd 'say "hi" \\ caf\xc3\xa9';
    omni_count impression offer=$odd variant=$arg_v channel=$arg_c
               segments=$arg_s;
    return 204;
}
"""
    config = config.replace("\\xc3\\xa9", "\u00e9")
    ngx = start("kpi-prom", "omni_zone kpi 1m;", config=config)
    failed = True
    try:
        scripted_traffic(ngx, Expected(), random.Random(5), 80)
        for _ in range(3):
            r = ngx.get("/odd?v=b&c=email&s=vip")
            if r.status != 204:
                raise Failure("/odd answered %d" % r.status)

        r = ngx.get("/status?format=prometheus")
        if r.header("Content-Type") != \
                "text/plain; version=0.0.4; charset=utf-8":
            raise Failure("content type %r" % r.header("Content-Type"))

        fams = promparse.parse(r.body)

        for name, fam in fams.items():
            if not name.startswith("omni_"):
                raise Failure("metric %s outside the omni_ namespace" % name)
            if fam.type is None or fam.help is None:
                raise Failure("%s lacks TYPE or HELP" % name)
            if fam.type == "counter" and not name.endswith("_total"):
                raise Failure("counter %s does not end in _total" % name)

        odd = 'say "hi" \\ caf\u00e9'
        if fams["omni_offer_impressions_total"].value(offer=odd) != 3:
            raise Failure("the odd offer id did not survive escaping")
        if fams["omni_variant_impressions_total"].value(offer=odd,
                                                        variant="b") != 3:
            raise Failure("the odd variant row is missing")
        if fams["omni_pages_skipped_total"].value(reason="encoded") != 0:
            raise Failure("skip reasons missing")

        # and the JSON has the same id, as JSON escapes it
        st = status(ngx)
        if odd not in [o["offer"] for o in st["offers"]]:
            raise Failure("the odd offer id is not in the JSON")

        ngx.stop()
        check_log(ngx)
        failed = False
    finally:
        finish(ngx, failed)


def test_promparse_is_strict():
    good = ('# HELP a_total Help \\\\ and \\n.\n# TYPE a_total counter\n'
            'a_total{x="1",y="q\\"\\\\\\n"} 3\na_total{x="2"} 4e3 17\n'
            'b NaN\nc +Inf\n')
    fams = promparse.parse(good)
    if fams["a_total"].value(x="1", y='q"\\\n') != 3:
        raise Failure("promparse misread a valid input")

    bad = [
        "a 1",                                          # no final newline
        "a-b 1\n",                                      # metric name
        "a{0x=\"1\"} 1\n",                              # label name
        "a{__x=\"1\"} 1\n",                             # reserved label
        "a{x=\"\\t\"} 1\n",                             # bad escape
        "a{x=\"1\",x=\"2\"} 1\n",                       # duplicate label
        "a{x=\"1} 1\n",                                 # unterminated
        "a 1\na 2\n",                                   # duplicate series
        "a{x=\"1\"} 1\nb 1\na{x=\"2\"} 1\n",            # not adjacent
        "# TYPE a counter\n# TYPE a counter\na 1\n",    # second TYPE
        "# TYPE a counter\na -1\n",                     # negative counter
        "# TYPE a countr\na 1\n",                       # unknown type
        "a 1\n# HELP a late\n",                         # HELP after samples
        "# TYPE a gauge\n# TYPE b gauge\na 1\n",        # TYPE apart
        "a 1.2.3\n",                                    # value
        "a  1\n",                                       # two spaces
        "a 1 12.5\n",                                   # timestamp
        b"a{x=\"\xff\"} 1\n",                           # not UTF-8
        "# HELP a bad \\t\na 1\n",                      # HELP escape
    ]
    for text in bad:
        try:
            promparse.parse(text)
        except promparse.PromError:
            continue
        raise Failure("promparse accepted %r" % text)


def test_dashboard_header_is_fresh():
    p = subprocess.run([os.path.join(ROOT, "util", "gen-dashboard.py"),
                        "--check"], capture_output=True, text=True)
    if p.returncode != 0:
        raise Failure(p.stderr or p.stdout)


# ---------------------------------------------------------------- browser


class DomValues(html.parser.HTMLParser):
    """data-k / data-v pairs and the text of each data-k element."""

    def __init__(self):
        super().__init__()
        self.values = {}
        self.text = {}
        self.stack = []
        self.attrs = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        key = a.get("data-k")
        if tag not in ("meta", "br", "img", "input", "link", "path",
                       "rect", "line", "circle"):
            self.stack.append(key)
        if key is not None:
            self.values[key] = a.get("data-v")
            self.text.setdefault(key, "")
        if tag == "body":
            self.attrs = a

    def handle_startendtag(self, tag, attrs):
        a = dict(attrs)
        if a.get("data-k") is not None:
            self.values[a["data-k"]] = a.get("data-v")

    def handle_endtag(self, tag):
        if tag not in ("meta", "br", "img", "input", "link", "path",
                       "rect", "line", "circle") and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        for key in self.stack:
            if key is not None:
                self.text[key] += data


def seed_script(now):
    """48 hours of a mid-sized shop, as events for kpi-seed."""
    rnd = random.Random(48)
    lines = []
    hour0 = now - now % 3600 - 47 * 3600
    channels = {"direct": (1.0, 0.016), "search": (1.3, 0.018),
                "email": (0.55, 0.034), "social": (0.8, 0.006),
                "paid_search": (0.6, 0.022), "sms": (0.2, 0.028)}
    segments = [("vip", 0.15), ("new_visitors", 0.45), ("browsers", 0.3),
                ("cart_abandoners", 0.1)]

    def segment():
        x = rnd.random()
        for name, share in segments:
            x -= share
            if x < 0:
                return name
        return segments[-1][0]

    for h in range(48):
        t = hour0 + h * 3600 + 1800
        local = (h + 10) % 24
        shape = (0.25 + 0.75 * math.sin(math.pi * (local - 6) / 17)
                 if 6 <= local <= 23 else 0.18)
        for ch, (weight, conv) in channels.items():
            visits = max(1, int(210 * weight * shape * rnd.uniform(.85, 1.15)))
            views = int(visits * rnd.uniform(1.9, 2.5))
            carts = int(visits * rnd.uniform(0.08, 0.11))
            buys = int(round(visits * conv * rnd.uniform(.8, 1.2)))
            for name, share in segments:
                n = int(round(visits * share))
                if n:
                    lines.append("%d visit channel=%s segments=%s n=%d"
                                 % (t, ch, name, n))
            lines.append("%d view channel=%s n=%d" % (t, ch, views))
            lines.append("%d cart channel=%s n=%d" % (t, ch, carts))
            for _ in range(buys):
                lines.append("%d purchase channel=%s segments=%s value=%d"
                             % (t, ch, segment(), rnd.randint(1900, 14900)))
            aband = int(round(carts * rnd.uniform(0.5, 0.7)))
            if aband:
                lines.append("%d abandon channel=%s n=%d" % (t, ch, aband))
            rec = int(round(aband * rnd.uniform(0.08, 0.25)))
            if rec:
                lines.append("%d recover channel=%s n=%d" % (t, ch, rec))

    # two experiments: one with a clear winner, one still undecided
    arms = [("welcome", "a", 4210, 189), ("welcome", "b", 4186, 243),
            ("welcome", "holdout", 948, 36), ("cart-reminder", "v1", 812, 61),
            ("cart-reminder", "holdout", 203, 12),
            ("vip-early-access", "", 1320, 29)]
    names = sorted(channels)
    for offer, variant, n, x in arms:
        v = " variant=%s" % variant if variant else ""
        for i, ch in enumerate(names):
            share = n // len(names) + (1 if i < n % len(names) else 0)
            lines.append("%d impression offer=%s%s channel=%s n=%d"
                         % (now - 7200 + i, offer, v, ch, share))
        lines.append("%d click offer=%s%s n=%d"
                     % (now - 7200, offer, v, int(n * 0.07)))
        for _ in range(x):
            lines.append("%d purchase offer=%s%s channel=%s segments=%s "
                         "value=%d" % (hour0 + rnd.randint(0, 47 * 3600),
                                       offer, v, rnd.choice(names),
                                       segment(), rnd.randint(2500, 12900)))

    for op, n in (("store.lookups", 183402), ("store.misses", 14210),
                  ("store.snapshot_reloads", 3), ("events.queued", 52118),
                  ("events.flushed", 52090), ("pages.rewritten", 61877),
                  ("pages.skipped.not_html", 120334),
                  ("pages.skipped.status", 2210),
                  ("pages.skipped.header_only", 4410),
                  ("pages.skipped.encoded", 912),
                  ("pages.skipped.no_consent", 3807)):
        lines.append("%d op %s %d" % (now - 60, op, n))

    return "\n".join(lines) + "\n"


def chromium(args, timeout=90):
    profile = tempfile.mkdtemp(prefix="omni-chromium-")
    try:
        p = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--no-first-run",
             "--no-default-browser-check", "--hide-scrollbars",
             "--user-data-dir=" + profile] + args,
            capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return p


def signed_pct(x, digits=1):
    s = "%.*f" % (digits, x * 100)
    if not s.startswith("-") and float(s) != 0:
        s = "+" + s
    return s.replace("-", "\u2212") + "%"


def test_dashboard_in_chromium():
    if not os.access(CHROMIUM, os.X_OK):
        raise Failure("no %s: run make deps (Debian package chromium)"
                      % CHROMIUM)
    if not os.access(SEED, os.X_OK):
        raise Failure("no %s: run make build/kpi-seed" % SEED)

    ngx = omnitest.Nginx("kpi-dashboard", workers=2)
    os.chmod(ngx.vars["DATA"], 0o777)
    failed = True
    try:
        # history through the core's counting code, saved as a snapshot
        snap = os.path.join(ngx.vars["DATA"], "kpi.snap")
        p = subprocess.run([SEED, snap], input=seed_script(int(time.time())),
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise Failure("kpi-seed: " + p.stderr)
        os.chmod(snap, 0o666)

        ngx.write_conf(COUNT_LOCATIONS,
                       "omni_zone kpi 1m persist=%%DATA%%/kpi.snap;",
                       "thread_pool default threads=2;")
        rc, out = ngx.test_config()
        if rc != 0:
            raise Failure(out)
        ngx.start()

        # and live traffic on top, through the module
        for _ in range(5):
            send(ngx, "impression", o="welcome", v="b", c="email", s="vip")
        send(ngx, "purchase", o="welcome", v="b", c="email", s="vip",
             value="89.90")
        send(ngx, "visit", c="email")
        send(ngx, "abandon", c="email")

        st = status(ngx)
        url = "http://127.0.0.1:%d/dashboard?currency=USD" % ngx.port

        p = chromium(["--window-size=1400,1000", "--virtual-time-budget=8000",
                      "--dump-dom", url])
        dom = p.stdout.decode("utf-8", "replace")
        if "data-rendered" not in dom:
            raise Failure("the page did not render:\n%s\n%s"
                          % (p.stderr.decode()[-2000:], dom[:2000]))
        if 'class="banner show"' in dom:
            raise Failure("the page shows an error banner")

        v = DomValues()
        v.feed(dom)
        check_dashboard(st, v)

        # the lines of the chart go through all 48 hours
        for name in ("abandoned", "recovered"):
            m = re.search(r'<path d="(M[^"]*)"[^>]*data-k="series\.%s"'
                          % name, dom)
            if not m or m.group(1).count("L") != 47:
                raise Failure("the %s line does not have 48 points" % name)

        os.makedirs(ARTIFACTS, exist_ok=True)
        for name, size in (("dashboard.png", "1400,2160"),
                           ("dashboard-top.png", "1400,1000")):
            path = os.path.join(ARTIFACTS, name)
            if os.path.exists(path):
                os.unlink(path)
            p = chromium(["--window-size=" + size,
                          "--virtual-time-budget=8000",
                          "--screenshot=" + path, url])
            if not os.path.exists(path) or os.path.getsize(path) < 20000:
                raise Failure("no screenshot %s:\n%s"
                              % (path, p.stderr.decode()[-2000:]))

        ngx.stop()
        check_log(ngx)
        failed = False
    finally:
        finish(ngx, failed)


def check_dashboard(st, v):
    def num(key):
        if key not in v.values:
            raise Failure("the page has no %s" % key)
        return float(v.values[key])

    def same(key, want):
        got = num(key)
        if not close(got, float(want)):
            raise Failure("%s: the page says %r, the status %r"
                          % (key, got, want))

    t = st["totals"]
    for m in ("visits", "views", "impressions", "clicks", "carts",
              "purchases", "abandoned"):
        same("total." + m, t[m])
    same("total.revenue", t["revenue_cents"])
    same("total.conversion", t["purchases"] / t["visits"])

    # every arm of every experiment: the page's JavaScript statistics
    # against the C core's, and the words a marketer reads
    if len(st["experiments"]) != 2:
        raise Failure("expected 2 experiments, got %r"
                      % [e["offer"] for e in st["experiments"]])
    for e in st["experiments"]:
        c = e["control"]
        base = "exp.%s.%s." % (e["offer"], c["variant"])
        same(base + "exposures", c["exposures"])
        same(base + "conversions", c["conversions"])
        same(base + "rate", c["rate"])
        for arm in e["variants"]:
            base = "exp.%s.%s." % (e["offer"], arm["variant"])
            same(base + "exposures", arm["exposures"])
            same(base + "conversions", arm["conversions"])
            same(base + "rate", arm["rate"])
            same(base + "lift", arm["lift"])
            same(base + "lift_lo", arm["lift_ci"][0])
            same(base + "lift_hi", arm["lift_ci"][1])
            same(base + "p", arm["p_value"])
            same("ci.%s.%s" % (e["offer"], arm["variant"]), arm["lift"])

            if v.text[base + "lift"] != signed_pct(arm["lift"]):
                raise Failure("%slift reads %r, expected %r"
                              % (base, v.text[base + "lift"],
                                 signed_pct(arm["lift"])))
            want = ("<0.001" if arm["p_value"] < 0.001
                    else "%.3f" % arm["p_value"])
            if v.text[base + "p"] != want:
                raise Failure("%sp reads %r, expected %r"
                              % (base, v.text[base + "p"], want))

            verdict = ("wait" if arm["small_sample"] or arm["z"] is None
                       else "win" if arm["significant"] and arm["diff"] > 0
                       else "lose" if arm["significant"] else "flat")
            if v.values[base + "verdict"] != verdict:
                raise Failure("%sverdict %r, expected %r"
                              % (base, v.values[base + "verdict"], verdict))

    verdicts = {k: val for k, val in v.values.items()
                if k.endswith(".verdict")}
    if verdicts.get("exp.welcome.b.verdict") != "win" \
            or verdicts.get("exp.cart-reminder.v1.verdict") != "flat":
        raise Failure("the scenario's verdicts changed: %r" % verdicts)

    for ch in st["channels"]:
        for m in ("visits", "views", "carts", "purchases"):
            same("funnel.%s.%s" % (ch["channel"], m), ch[m])

    for name in ("carts", "abandoned", "recovered"):
        got = v.values.get("series." + name)
        want = ",".join(str(x) for x in st["series"][name])
        if got != want:
            raise Failure("series %s: page %r, status %r" % (name, got, want))
        same("series.%s.total" % name, sum(st["series"][name]))
    if sum(st["series"]["abandoned"]) == 0:
        raise Failure("the scenario has no abandoned carts")

    for o in st["offers"]:
        for m in ("impressions", "clicks", "purchases", "revenue_cents"):
            same("offers.%s.%s" % (o["offer"], m), o[m])
    for s in st["segments"]:
        same("segments.%s.visits" % s["segment"], s["visits"])

    ops = st["operations"]
    same("op.store.lookups", ops["store"]["lookups"])
    same("op.events.dropped", ops["events"]["dropped"])
    same("op.pages.rewritten", ops["pages"]["rewritten"])
    same("op.pages.skipped", sum(ops["pages"]["skipped"].values()))
    same("op.kpi.used", st["zone"]["used"])
