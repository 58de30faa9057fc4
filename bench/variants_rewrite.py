"""Benchmark variants of the response rewriter, as data for the wrk and
callgrind harness (bench/bench.py, bench/variants.py): append them to
VARIANTS, e.g.

    from variants_rewrite import REWRITE_VARIANTS
    VARIANTS += REWRITE_VARIANTS

and run BENCH_VARIANTS=plain,identity,rw-brand,rw-full,rw-full-split,
sub-filter.  Every rewriting variant is a returning visitor with a valid
cookie, so that its delta over "identity" is the rewriter's own cost.
"""

OTHER_COOKIES = "_ga=GA1.2.1234567890.1700000000; cart=3f2a9c; theme=light"

RW_BRAND = """{ "brands": { "north": { "name": "North",
  "colors": { "primary": "#0b5fff", "accent": "#ffb400" },
  "font": "Inter, sans-serif" } } }"""

RW_FULL = """{
  "brands": { "north": { "name": "North",
    "colors": { "primary": "#0b5fff", "accent": "#ffb400" },
    "font": "Inter, sans-serif" } },
  "offers": [ { "id": "everyone", "priority": 1, "slot": "hero",
    "html": "<div class=\\"omni-offer\\">Welcome back: 5% off today</div>" } ],
  "tags": [ { "id": "px", "consent": "ads",
    "head": "<script>window.px=window.px||[];px.push(['init','P-1']);</script>" } ]
}"""

SUB_STYLE = ("<style>:root{--omni-primary:#0b5fff;--omni-accent:#ffb400;"
             "--omni-font:Inter, sans-serif}</style>"
             "<meta name=\\\"theme-color\\\" content=\\\"#0b5fff\\\">")

REWRITE_VARIANTS = []

for _name, _about, _json, _loc in (
        ("rw-brand", "rewriting: the brand block before </head> (page read "
         "into memory, one writev)", RW_BRAND, ""),
        ("rw-brand-split", "rewriting: the brand block, the file split at "
         "its cached anchor offsets on sendfile", RW_BRAND,
         "omni_sendfile_min_length 0;"),
        ("rw-full", "rewriting: brand, a consented tag and the offer in its "
         "slot (page in memory)", RW_FULL, ""),
        ("rw-full-split", "rewriting: brand, tag and offer, the file split "
         "on sendfile", RW_FULL, "omni_sendfile_min_length 0;")):
    REWRITE_VARIANTS.append({
        "name": _name,
        "about": _about,
        "target_us": 6.0,
        "main": "load_module @MODULE@;",
        "http": "omni_secret @SECRET@; omni_campaigns @PREFIX@/c.json;",
        "location": "omni on; " + _loc,
        "files": {"c.json": _json},
        "headers": {"Cookie": OTHER_COOKIES + "; omni=@VISITOR@"},
        "expect": {"status": 200,
                   "headers": {"Content-Length": None, "Set-Cookie": None},
                   "body_contains": ["data-omni-brand=\"north\""]},
    })

REWRITE_VARIANTS.append({
    "name": "sub-filter",
    "about": "nginx's sub_filter inserting a style block before </head>",
    "http": "sub_filter '</head>' '" + SUB_STYLE + "</head>';",
    "headers": {"Cookie": OTHER_COOKIES + "; omni=@VISITOR@"},
    "expect": {"status": 200, "headers": {"Content-Length": None},
               "body_contains": ["--omni-primary"]},
})


# The same page work with nginx's own modules: userid for the visitor id,
# split_clients for an a/b variant, sub_filter for the brand block, the
# ad tag before </head> and the offer after the slot marker.  What it
# cannot do (profiles, segments, caps, consent, escaping) is left out, so
# this is the cheapest the stock modules get.

NATIVE_HEAD = SUB_STYLE + (
    '<script>window.px=window.px||[];px.push(["init","P-1"]);</script>')

REWRITE_VARIANTS.append({
    "name": "nginx-native",
    "about": "userid + split_clients + sub_filter: id, a/b variant, brand, "
             "tag and offer",
    "http": ("userid on; userid_name uid; userid_expires 365d; "
             "split_clients \"${uid_got}${uid_set}\" $omni_ab "
             "{ 50% a; * b; } "
             "map $omni_ab $omni_ab_offer { "
             "a '<div class=\"omni-offer\">Welcome back: 5% off today</div>'; "
             "default '<div class=\"omni-offer\">Free shipping today</div>'; }"),
    "location": ("sub_filter '</head>' '" + NATIVE_HEAD + "</head>'; "
                 "sub_filter '<!--omni:slot hero-->' "
                 "'<!--omni:slot hero-->$omni_ab_offer'; "
                 "add_header Cache-Control private;"),
    "headers": {"Cookie": OTHER_COOKIES + "; uid=fwAAAWM6q0FkXgAVAwMKAg=="},
    "expect": {"status": 200, "headers": {"Content-Length": None},
               "body_contains": ["--omni-primary", "omni-offer"]},
})
