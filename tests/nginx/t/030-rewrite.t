# Response rewriting: the brand, the consented tags and the visitor's
# offer streamed into HTML pages, whoever produced them.
#
# tests/nginx/fixtures/rewrite.json: brand "north" (the default) and
# "south", a tag that needs ad consent, and two offers for slot "hero":
# "gold-deal" for requests with X-Tier: gold, "everyone" for the rest.
# test_rewrite.py sends a 30 KB page down every path and compares.

=== TEST 1: a static file gets brand, tags and offer; headers made private
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
log_format rw '$omni_rewrite $omni_offer';
access_log %%PREFIX%%/logs/rw.log rw;
--- config
location / { omni on; sendfile on; }
--- user_files
>>> page.html
<!doctype html><html><head><title>Shop</title></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><p>Products</p></body></html>
--- request
GET /page.html
--- response_headers
!Content-Length
Transfer-Encoding: chunked
Cache-Control: private
!ETag
!Last-Modified
!Accept-Ranges
Set-Cookie: ~ ^omni=v1\.
--- response_body
<!doctype html><html><head><title>Shop</title><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><div class="offer">Hello</div><p>Products</p></body></html>
--- request
GET /page.html
X-Tier: gold
--- response_body
<!doctype html><html><head><title>Shop</title><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><div class="offer">Gold deal</div><p>Products</p></body></html>
--- exec
sleep 0.1; cat %%PREFIX%%/logs/rw.log
--- stdout_like
^rewritten everyone\nrewritten gold-deal$


=== TEST 2: 8-byte buffers one at a time (sendfile off; output_buffers 1 8)
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / { omni on; sendfile off; output_buffers 1 8; }
--- user_files
>>> page.html
<!doctype html><html><head><title>Shop</title></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><p>Products</p></body></html>
--- request
GET /page.html
--- response_body
<!doctype html><html><head><title>Shop</title><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><div class="offer">Hello</div><p>Products</p></body></html>


=== TEST 3: an upstream that streams the page in 1-byte chunks, buffered and unbuffered
--- upstream
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location /up/ {
    omni on;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
    proxy_http_version 1.1;
    proxy_set_header Accept-Encoding "";
}
location /raw/ {
    omni on;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
    proxy_http_version 1.1;
    proxy_buffering off;
}
--- user_files
>>> page.html
<!doctype html><html><head><title>Shop</title></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><p>Products</p></body></html>
--- request
GET /up/page.html?chunk=1
--- response_headers
!Content-Length
Cache-Control: private
--- response_body
<!doctype html><html><head><title>Shop</title><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><div class="offer">Hello</div><p>Products</p></body></html>
--- request
GET /raw/page.html?chunk=1
--- response_body
<!doctype html><html><head><title>Shop</title><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><div class="offer">Hello</div><p>Products</p></body></html>


=== TEST 4: a proxy_cache hit is generic in the cache and personal on the wire (split on sendfile)
--- upstream
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
proxy_cache_path %%PREFIX%%/tmp/cache keys_zone=pages:1m;
--- config
location /shop/ {
    omni on;
    omni_sendfile_min_length 0;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
    proxy_cache pages;
    proxy_cache_valid 200 10m;
    add_header X-Cache $upstream_cache_status;
}
--- user_files
>>> page.html
<!doctype html><html><head><title>Shop</title></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><p>Products</p></body></html>
--- request
GET /shop/page.html
X-Tier: gold
--- response_headers
X-Cache: MISS
Cache-Control: private
Set-Cookie: ~ ^omni=v1\.(?P<first>[^.]+)\.
--- response_body_like
<div class="offer">Gold deal</div><p>Products</p>
--- clear_cookies
--- request
GET /shop/page.html
--- response_headers
X-Cache: HIT
Cache-Control: private
Set-Cookie: ~ ^omni=v1\.(?!%%first%%)
--- response_body
<!doctype html><html><head><title>Shop</title><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><div class="offer">Hello</div><p>Products</p></body></html>
--- clear_cookies
--- request
GET /shop/page.html
X-Tier: gold
--- response_headers
X-Cache: HIT
--- response_body_like
<div class="offer">Gold deal</div><p>Products</p>
--- exec
cat %%PREFIX%%/tmp/cache/* | grep -c -e 'data-omni-brand' -e 'omni=v1' -e 'offer' || true
--- stdout_like
^0$


=== TEST 5: gzip on: the rewritten page is compressed for clients that take it
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
gzip on;
gzip_min_length 0;
--- config
location / { omni on; }
--- user_files
>>> page.html
<!doctype html><html><head><title>Shop</title></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><p>Products</p></body></html>
--- request
GET /page.html
Accept-Encoding: gzip
--- response_headers
Content-Encoding: gzip
Cache-Control: private
--- response_body
<!doctype html><html><head><title>Shop</title><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><div class="offer">Hello</div><p>Products</p></body></html>


=== TEST 6: HEAD, 304 and other types are left as they are
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
log_format rw '$request_method $status $omni_rewrite';
access_log %%PREFIX%%/logs/rw.log rw;
--- config
location / { omni on; }
location /plain/ { alias %%HTML%%/; }
--- user_files
>>> page.html
<!doctype html><html><head><title>Shop</title></head><body><!--omni:slot hero--></body></html>
>>> site.css
body { color: red }
--- request
HEAD /page.html
--- response_headers
Content-Length: 95
ETag: ~ ^"
--- request
GET /plain/page.html
--- response_headers
ETag: ~ ^(?P<etag>".+")$
--- request
GET /page.html
If-None-Match: %%etag%%
--- error_code
304
--- request
GET /site.css
--- response_headers
Content-Length: 20
--- response_body
body { color: red }
--- exec
sleep 0.1; cat %%PREFIX%%/logs/rw.log
--- stdout_like
^HEAD 200 skipped\nGET 200 -\nGET 304 skipped\nGET 200 skipped$


=== TEST 7: a gzip body from upstream is inflated and rewritten; with omni_gunzip off it passes untouched
--- upstream
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
log_format rw '$omni_rewrite';
access_log %%PREFIX%%/logs/rw.log rw;
--- config
location /up/ { omni on; proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/; }
location /keep/ {
    omni on;
    omni_gunzip off;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
}
--- user_files
>>> page.html
<!doctype html><html><head><title>Shop</title></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><p>Products</p></body></html>
>>> liar.html
<html><head></head><body><!--omni:slot hero--></body></html>
>>> liar.html.headers
Content-Encoding: gzip
--- request
GET /up/liar.html?chunk=1
--- response_headers
!Content-Encoding
--- response_body
<html><head><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body><!--omni:slot hero--><div class="offer">Hello</div></body></html>
--- error_log
the gzip body of "/up/liar.html" is not gzip, sent as it is
--- request
GET /up/page.html?gzip=1
--- response_headers
!Content-Encoding
!Content-Length
--- response_body
<!doctype html><html><head><title>Shop</title><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><div class="offer">Hello</div><p>Products</p></body></html>
--- request
GET /up/page.html?gzip=1&chunk=7
--- response_body_like
<script>px\(\)</script></head>.*<!--omni:slot hero--><div class="offer">Hello</div><p>
--- request
GET /keep/page.html?gzip=1
--- response_headers
Content-Encoding: gzip
--- response_body
<!doctype html><html><head><title>Shop</title></head><body class="home"><h1>Shop</h1><!--omni:slot hero--><p>Products</p></body></html>
--- exec
sleep 0.1; cat %%PREFIX%%/logs/rw.log
--- stdout_like
^rewritten\nrewritten\nrewritten\nencoded$


=== TEST 8: a Content-Security-Policy nonce goes on the injected style and script
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / {
    omni on;
    add_header Content-Security-Policy "default-src 'self'; script-src 'nonce-abc123'; style-src 'self' 'nonce-Zm9v+/='";
}
--- user_files
>>> page.html
<!doctype html><html><head><title>Shop</title></head><body></body></html>
--- request
GET /page.html
--- response_body
<!doctype html><html><head><title>Shop</title><style nonce="Zm9v+/=" data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script nonce="abc123">px()</script></head><body><div class="offer">Hello</div></body></html>


=== TEST 9: Global Privacy Control and missing consent keep the tags out
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / { omni on; }
location /consent/ { alias %%HTML%%/; omni on; omni_consent cookie=ok; }
--- user_files
>>> page.html
<html><head></head><body></body></html>
--- request
GET /page.html
Sec-GPC: 1
--- response_body
<html><head><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"></head><body><div class="offer">Hello</div></body></html>
--- request
GET /consent/page.html
--- response_body
<html><head><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"></head><body><div class="offer">Hello</div></body></html>
--- request
GET /consent/page.html
Cookie: ok=1
--- response_body
<html><head><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><script>px()</script></head><body><div class="offer">Hello</div></body></html>


=== TEST 10: without its slot marker the offer goes after <body>, before </body>, or nowhere
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / { omni on; omni_brand off; add_header X-Consent-Free 1; }
location /end/ { alias %%HTML%%/; omni on; omni_brand off; omni_offer_fallback body_end; }
location /none/ { alias %%HTML%%/; omni on; omni_brand off; omni_offer_fallback none; }
--- user_files
>>> page.html
<html><head></head><body class="a>b"><p>x</p></body></html>
--- more_headers
Sec-GPC: 1
--- request
GET /page.html
--- response_body
<html><head></head><body class="a>b"><div class="offer">Hello</div><p>x</p></body></html>
--- more_headers
Sec-GPC: 1
--- request
GET /end/page.html
--- response_body
<html><head></head><body class="a>b"><p>x</p><div class="offer">Hello</div></body></html>
--- more_headers
Sec-GPC: 1
--- request
GET /none/page.html
--- response_body
<html><head></head><body class="a>b"><p>x</p></body></html>


=== TEST 11: a slot marker past omni_slot_lookahead is too late: the offer goes after <body>
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / { omni on; omni_brand off; omni_slot_lookahead 32; sendfile off; output_buffers 1 16; }
location /wide/ { alias %%HTML%%/; omni on; omni_brand off; sendfile off; output_buffers 1 16; }
--- user_files
>>> page.html
<html><body><nav>0123456789 0123456789 0123456789 0123456789</nav><!--omni:slot hero--><p>x</p></body></html>
--- more_headers
Sec-GPC: 1
--- request
GET /page.html
--- response_body
<html><body><div class="offer">Hello</div><nav>0123456789 0123456789 0123456789 0123456789</nav><!--omni:slot hero--><p>x</p></body></html>
--- more_headers
Sec-GPC: 1
--- request
GET /wide/page.html
--- response_body
<html><body><nav>0123456789 0123456789 0123456789 0123456789</nav><!--omni:slot hero--><div class="offer">Hello</div><p>x</p></body></html>


=== TEST 12: pages without head or body: the head block before <body>, a fragment gets only its slot
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / { omni on; }
--- user_files
>>> nohead.html
<!doctype html><title>t</title><BODY>x</BODY>
>>> fragment.html
<div class="card"><!--omni:slot hero--></div>
>>> nothing.html
<p>just text</p>
--- more_headers
Sec-GPC: 1
--- request
GET /nohead.html
--- response_body
<!doctype html><title>t</title><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"><BODY><div class="offer">Hello</div>x</BODY>
--- more_headers
Sec-GPC: 1
--- request
GET /fragment.html
--- response_body
<div class="card"><!--omni:slot hero--><div class="offer">Hello</div></div>
--- more_headers
Sec-GPC: 1
--- request
GET /nothing.html
--- response_body
<p>just text</p>


=== TEST 13: omni_brand per location; omni_rewrite off; omni_types
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / { omni on; omni_brand south; omni_offer_fallback none; }
location /off/ { alias %%HTML%%/; omni on; omni_rewrite off; }
location /txt/ { alias %%HTML%%/; omni on; omni_types text/plain; default_type text/plain; omni_offer_fallback none; }
--- user_files
>>> page.html
<head></head>
>>> page.txt
<head></head>
--- more_headers
Sec-GPC: 1
--- request
GET /page.html
--- response_body
<head><style data-omni-brand="south">:root{--omni-primary:#ff0000;}</style><meta name="theme-color" content="#ff0000"></head>
--- request
GET /off/page.html
--- response_headers
Content-Length: 14
--- response_body
<head></head>
--- more_headers
Sec-GPC: 1
--- request
GET /txt/page.txt
--- response_body
<head><style data-omni-brand="north">:root{--omni-primary:#0b5fff;}</style><meta name="theme-color" content="#0b5fff"></head>


=== TEST 14: SSI includes are part of the page: the slot in an included part is found
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / { omni on; omni_brand off; ssi on; }
--- user_files
>>> page.html
<html><body><!--# include virtual="/part.html" --><p>end</p></body></html>
>>> part.html
<div><!--omni:slot hero--></div>
--- more_headers
Sec-GPC: 1
--- request
GET /page.html
--- response_body
<html><body><div><!--omni:slot hero--><div class="offer">Hello</div></div>
<p>end</p></body></html>


=== TEST 15: the offer from a return directive; $omni_offer, $omni_stage, $omni_segments
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / {
    omni on;
    omni_brand off;
    default_type text/html;
    add_header X-Offer $omni_offer;
    add_header X-Stage $omni_stage;
    add_header X-Segments $omni_segments;
    return 200 "<body><!--omni:slot hero--></body>";
}
--- more_headers
X-Tier: gold
Sec-GPC: 1
--- request
GET /
--- response_headers
X-Offer: gold-deal
X-Stage: awareness
X-Segments: gold
--- response_body chomp
<body><!--omni:slot hero--><div class="offer">Gold deal</div></body>


=== TEST 16: an unknown brand fails nginx -t
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%ROOT%%/tests/nginx/fixtures/rewrite.json;
--- config
location / { omni on; omni_brand west; }
--- must_die
--- error_log_like
unknown brand "west", ".*rewrite.json" has no such brand, in .*nginx.conf:\d+


=== TEST 17: omni_brand without omni_campaigns fails nginx -t
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; omni_brand north; }
--- must_die
--- error_log_like
"omni_brand" needs "omni_campaigns" in .*nginx.conf:\d+


=== TEST 18: a broken campaigns file fails nginx -t with its line and column
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%PREFIX%%/conf/bad.json;
--- config
location / { omni on; }
--- user_files
>>> %%PREFIX%%/conf/bad.json
{
  "offers": [
    { "id": "a", "segments": ["nope"], "html": "x" }
  ]
}
--- must_die
--- error_log_like
bad.json:3:\d+: .*nope.* in .*nginx.conf:\d+
invalid campaigns file ".*bad.json"


=== TEST 19: a missing campaigns file and a duplicate directive fail nginx -t
--- http_config
omni_secret %%SECRET%%;
omni_campaigns %%PREFIX%%/conf/none.json;
--- config
location / { omni on; }
--- must_die
--- error_log_like
cannot open campaigns file ".*none.json"
