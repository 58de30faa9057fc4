"""Response rewriting of a real 30 KB storefront page
(bench/pages/store-30k.html) down every path a page takes through nginx:
a static file split at its cached anchor offsets on sendfile, or read
into memory, 8-byte buffers, a proxy streaming 1- and 3-byte chunks buffered
and unbuffered, an upstream gzip body, a proxy_cache hit and nginx's own
gzip.  Every path must give the same bytes, and a file changed on disk
must not be split at its old offsets.
"""

import os
import time

import omnitest

PAGE = open(os.path.join(omnitest.ROOT, "bench", "pages", "store-30k.html"),
            "rb").read()

BRAND = (b'<style data-omni-brand="north">:root{--omni-primary:#0b5fff;}'
         b'</style><meta name="theme-color" content="#0b5fff">')
OFFER = b'<div class="offer">Hello</div>'
SLOT = b"<!--omni:slot hero-->"

# visitors that send Sec-GPC get no tags: the page differs in brand and
# offer only
GPC = [("Sec-GPC", "1")]

HTTP = """
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
proxy_cache_path %%PREFIX%%/tmp/cache keys_zone=pages:1m;
"""

CONFIG = """
location /sf/ { alias %%HTML%%/; omni on; sendfile on;
                omni_sendfile_min_length 0; }
location /sf-mem/ { alias %%HTML%%/; omni on; sendfile on;
                    omni_sendfile_min_length off; }
location /mem/ { alias %%HTML%%/; omni on; sendfile off; }
location /tiny/ { alias %%HTML%%/; omni on; sendfile off;
                  output_buffers 1 8; }
location /gz/ { alias %%HTML%%/; omni on; gzip on; gzip_min_length 0; }
location /up/ { omni on; proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
                proxy_http_version 1.1; }
location /raw/ { omni on; proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
                 proxy_http_version 1.1; proxy_buffering off; }
location /cache/ { omni on; sendfile on; omni_sendfile_min_length 1k;
                   proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
                   proxy_cache pages; proxy_cache_valid 200 10m;
                   add_header X-Cache $upstream_cache_status; }
"""


def rewritten(page):
    i = page.index(b"</head>")
    out = page[:i] + BRAND + page[i:]
    j = out.index(SLOT) + len(SLOT)
    return out[:j] + OFFER + out[j:]


def start(name):
    ngx = omnitest.Nginx(name)
    up = omnitest.Upstream(os.path.join(ngx.prefix, "html"))
    ngx.upstreams.append(up)
    ngx.vars["UPSTREAM_PORT"] = str(up.port)
    ngx.write_file("store.html", PAGE)
    ngx.write_conf(CONFIG, HTTP)
    rc, out = ngx.test_config()
    if rc != 0:
        raise omnitest.Failure("nginx -t failed:\n" + out)
    ngx.start()
    return ngx


def check(ngx, uri, want, headers=()):
    r = ngx.get(uri, GPC + list(headers))
    if r.status != 200:
        raise omnitest.Failure("%s: status %d" % (uri, r.status))
    if r.decoded != want:
        i = next((k for k in range(min(len(want), len(r.decoded)))
                  if want[k] != r.decoded[k]), min(len(want),
                                                  len(r.decoded)))
        raise omnitest.Failure(
            "%s: %d bytes, expected %d; first difference at %d:\n"
            "got  %r\nwant %r" % (uri, len(r.decoded), len(want), i,
                                  r.decoded[max(0, i - 40):i + 40],
                                  want[max(0, i - 40):i + 40]))
    if r.header("Content-Length") is not None:
        raise omnitest.Failure("%s: Content-Length left" % uri)
    if r.header("Cache-Control") != "private":
        raise omnitest.Failure("%s: Cache-Control %r" % (uri,
                               r.header("Cache-Control")))
    return r


def finish(ngx):
    ngx.stop()
    for line in ngx.log().splitlines():
        if omnitest.BAD_LOG.search(line) or omnitest.ERROR_LOG.search(line):
            raise omnitest.Failure("unexpected line in error_log:\n" + line)


def test_every_path_gives_the_same_page():
    ngx = start("rewrite-paths")
    failed = True
    try:
        want = rewritten(PAGE)

        for uri in ("/sf/store.html", "/sf/store.html", "/sf/store.html",
                    "/sf-mem/store.html", "/mem/store.html",
                    "/tiny/store.html", "/up/store.html",
                    "/up/store.html?chunk=1", "/up/store.html?chunk=3",
                    "/raw/store.html?chunk=1", "/raw/store.html?chunk=3",
                    "/up/store.html?gzip=1",
                    "/up/store.html?gzip=1&chunk=5",
                    "/raw/store.html?gzip=1&chunk=11"):
            check(ngx, uri, want)

        r = check(ngx, "/gz/store.html", want, [("Accept-Encoding", "gzip")])
        if r.header("Content-Encoding") != "gzip":
            raise omnitest.Failure("/gz/: not compressed")

        for status in ("MISS", "HIT", "HIT"):
            r = check(ngx, "/cache/store.html", want)
            if r.header("X-Cache") != status:
                raise omnitest.Failure("/cache/: %s, expected %s"
                                       % (r.header("X-Cache"), status))

        finish(ngx)
        failed = False
    finally:
        if failed:
            ngx.kill()
        ngx.cleanup(failed)


def test_a_changed_file_is_scanned_again():
    ngx = start("rewrite-changed-file")
    failed = True
    try:
        check(ngx, "/sf/store.html", rewritten(PAGE))

        # the same size, the slot moved: the cached offsets no longer hold
        changed = PAGE.replace(SLOT + b"<h1>", b"<h1>" + SLOT, 1)
        assert len(changed) == len(PAGE) and changed != PAGE
        time.sleep(0.01)
        ngx.write_file("store.html", changed)

        check(ngx, "/sf/store.html", rewritten(changed))
        check(ngx, "/sf/store.html", rewritten(changed))

        finish(ngx)
        failed = False
    finally:
        if failed:
            ngx.kill()
        ngx.cleanup(failed)
