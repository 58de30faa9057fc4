"""The benchmark variants: what is compared, as data.

Each variant becomes its own nginx instance (one master, ONE worker) on its
own loopback port, serving the same page, so that the worker's CPU time is
exactly the cost of that variant.  A variant is a dict:

  name       short name, used on the command line and in the report
  about      one line for the report
  main       lines for the main context (load_module ...)
  http       lines for the http block
  server     lines for the server block
  location   lines for `location /` (the page is /index.html under @ROOT@)
  headers    request headers wrk sends, in addition to BROWSER_HEADERS;
             a header set to None is not sent
  files      {relative path: text} written into the instance's prefix
             before nginx starts (a campaigns file, an upstream's page)
  expect     checks of one probe response before any load, so that a
             variant cannot silently measure the wrong thing:
               "status": int
               "headers": {name: regex that must match, or None: absent}
               "body_contains": [str, ...], "body_lacks": [str, ...]
               "body_size": int (exact length of the body)
  baseline   the name of the variant this one is compared to (default
             "plain"); deltas are paired per round
  target_us  optional: the most worker CPU per request this variant may
             add over its baseline; the report says met or MISSED

Placeholders substituted in every string: @MODULE@ (the module .so),
@SECRET@ (a key made by `omnictl gen-secret`), @ROOT@ (the document root),
@PREFIX@ (the instance's own directory), @PORT@ (its port), @PAGE_SIZE@,
and in headers @VISITOR@ (a valid visitor cookie value, obtained from the
first variant whose probe response sets the omni cookie).

To add a variant (tracking, the full rewriting path, nginx's own userid +
split_clients + sub_filter), append a dict and run
`BENCH_VARIANTS=plain,NAME make bench`.
"""

# What a browser sends on a page view; every variant sends the same bytes
# except for the cookie, so that request parsing costs the same.
BROWSER_HEADERS = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) "
                  "Gecko/20100101 Firefox/128.0",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,"
              "*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.5",
    "Referer": "https://shop.example/",
}

# A returning visitor carries the shop's and analytics' cookies too.
OTHER_COOKIES = "_ga=GA1.2.1234567890.1700000000; cart=3f2a9c; theme=light"

LOAD_MODULE = "load_module @MODULE@;"

NOT_SET = {"Set-Cookie": None}

VARIANTS = [
    {
        "name": "plain",
        "about": "stock nginx, the module is not loaded",
        "headers": {"Cookie": OTHER_COOKIES + "; omni=@VISITOR@"},
        "expect": {"status": 200, "headers": NOT_SET,
                   "body_size": "@PAGE_SIZE@"},
    },
    {
        "name": "plain-aa",
        "about": "a second, identical plain instance: the A/A control, its "
                 "delta is the noise floor of the method",
        "headers": {"Cookie": OTHER_COOKIES + "; omni=@VISITOR@"},
        "expect": {"status": 200, "headers": NOT_SET,
                   "body_size": "@PAGE_SIZE@"},
    },
    {
        "name": "loaded-off",
        "about": "module loaded and omni_secret set, omni off",
        "main": LOAD_MODULE,
        "http": "omni_secret @SECRET@;",
        "headers": {"Cookie": OTHER_COOKIES + "; omni=@VISITOR@"},
        "expect": {"status": 200, "headers": NOT_SET,
                   "body_size": "@PAGE_SIZE@"},
    },
    {
        "name": "identity",
        "about": "omni on, returning visitor with a valid cookie (verify)",
        "target_us": 1.0,
        "main": LOAD_MODULE,
        "http": "omni_secret @SECRET@;",
        "location": "omni on;",
        "headers": {"Cookie": OTHER_COOKIES + "; omni=@VISITOR@"},
        "expect": {"status": 200, "headers": NOT_SET,
                   "body_size": "@PAGE_SIZE@"},
    },
    {
        "name": "identity-new",
        "about": "omni on, no visitor cookie: every request mints an id "
                 "(worst case)",
        "main": LOAD_MODULE,
        "http": "omni_secret @SECRET@;",
        "location": "omni on;",
        "headers": {"Cookie": OTHER_COOKIES},
        "expect": {"status": 200,
                   "headers": {"Set-Cookie": r"^omni=v1\.[A-Za-z0-9_-]{22}\."
                                             r"[A-Za-z0-9_-]{22}(;|$)",
                               "Cache-Control": r"private"},
                   "body_size": "@PAGE_SIZE@"},
    },
]

# the response rewriter and nginx's own modules doing the same work
from variants_rewrite import REWRITE_VARIANTS  # noqa: E402

VARIANTS += REWRITE_VARIANTS

DEFAULT_VARIANTS = ["plain", "loaded-off", "identity", "identity-new"]
