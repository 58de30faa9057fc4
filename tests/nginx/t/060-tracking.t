# Tracking: omni_track patterns, X-Omni-* headers from the upstream, the
# beacon, channels, visits, abandoned carts, consent, and the directives'
# nginx -t errors.
#
# Workers run as nobody and the prefix belongs to root, so each case makes
# its store directory and gives it to nobody first; the workers open the
# activity store at their next check (omni_store_check 100ms), and events
# reach the store within omni_flush_interval (50ms here): a case
# waits 0.4s before it looks.

=== TEST 1: the journey: email link, product, cart, leave, come back abandoned, buy
--- upstream
--- workers
2
--- user_files
>>> p/SKU-7.html
<html><body>Trail Shoe X</body></html>
>>> cart/add.html
<html><body>added</body></html>
>>> cart/add.html.headers
X-Omni-Event: cart; item=SKU-7; qty=1; price=119.90
>>> index.html
<html><body>home</body></html>
>>> order/O-1.html
<html><body>thank you</body></html>
>>> order/O-1.html.headers
X-Omni-Event: purchase; order=O-1; value=119.90; items=SKU-7
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
omni_abandon_after 2s;
--- config
location / {
    omni on;
    omni_track view ^/p/([A-Za-z0-9-]+)\.html$ item=$1;
    add_header X-Abandoned $omni_abandoned;
    add_header X-Channel $omni_channel;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%;
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /p/SKU-7.html?utm_source=newsletter&utm_medium=email&utm_campaign=spring
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
X-Channel: email
X-Abandoned: 0
--- request
GET /cart/add.html
--- response_headers
!X-Omni-Event
X-Abandoned: 0
--- response_body
<html><body>added</body></html>
--- sleep
0.4
--- exec
$OMNICTL get --store %%DATA%%/store --visitor %%vid%%
--- stdout_like
"cart":\[\{"item":"SKU-7","qty":1,"price":11990\}\]
"viewed":\["SKU-7"\]
"first_touch":\{"channel":"email","source":"newsletter","medium":"email","campaign":"spring"
--- exec
$OMNICTL abandoned --store %%DATA%%/store --abandon-after 2s
--- stdout_like
^$
--- sleep
2.2
--- request
GET /
--- response_headers
X-Abandoned: 1
X-Channel: email
--- sleep
0.4
--- request
GET /
--- response_headers
X-Abandoned: 1
--- exec
$OMNICTL abandoned --store %%DATA%%/store --since 1h --min-value 100
--- stdout_like
^\{"visitor":"%%vid%%","customer_id":null,"cart":\[\{"item":"SKU-7","qty":1,"price":11990\}\],"cart_value":11990,
"first_channel":\{"channel":"email","source":"newsletter","medium":"email","campaign":"spring"
"last_channel":\{"channel":"email"
"last_seen":\d+,"abandoned_at":\d+\}$
--- exec
$OMNICTL abandoned --store %%DATA%%/store --min-value 119.91
--- stdout_like
^$
--- request
GET /order/O-1.html
--- response_headers
!X-Omni-Event
--- sleep
0.4
--- request
GET /
--- response_headers
X-Abandoned: 0
--- exec
$OMNICTL abandoned --store %%DATA%%/store
--- stdout_like
^$
--- exec
$OMNICTL get --store %%DATA%%/store --visitor %%vid%%
--- stdout_like
"purchases":1,"purchase_value":11990,
"cart":\[\]
"purchased":\["SKU-7"\]
"last_order":"O-1","abandoned_at":0


=== TEST 2: X-Omni-* headers never reach the client; bad ones are logged at info
--- upstream
--- user_files
>>> a.html
<html>a</html>
>>> a.html.headers
X-Omni-Event: cart; item=SKU-7; price=12.3.4
X-Omni-Event: view; item=SKU-9
X-Omni-Customer: not a valid id
X-Omni-Other: kept
>>> b.txt
plain
>>> b.txt.headers
X-Omni-Customer: C7
x-omni-event: view; item=SKU-3
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
--- config
location / {
    omni on;
    add_header X-Customer "[$omni_customer]";
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%;
}
location /off/ {
    omni on;
    omni_track off;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /a.html
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
!X-Omni-Event
!X-Omni-Customer
X-Omni-Other: kept
--- error_log
omni: ignored an X-Omni-Event header from the upstream: bad price
omni: ignored an X-Omni-Customer header from the upstream: not a customer id
--- no_error_log
12.3.4
not a valid id
--- request
GET /b.txt
--- response_headers
!X-Omni-Event
!X-Omni-Customer
--- request
GET /off/b.txt
--- response_headers
!X-Omni-Event
!X-Omni-Customer
--- sleep
0.4
--- request
GET /a.html
--- response_headers
X-Customer: [C7]
--- sleep
0.4
--- exec
$OMNICTL get --store %%DATA%%/store --visitor %%vid%%
--- stdout_like
"viewed":\["SKU-9","SKU-3"\]
"pageviews":2,
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":1,"visits":1,"pageviews":2,"linked":1,


=== TEST 3: a GPC visitor leaves no record; with consent the same pages do
--- upstream
--- user_files
>>> p/SKU-7.html
<html><body>shoe</body></html>
>>> p/SKU-7.html.headers
X-Omni-Event: cart; item=SKU-7
X-Omni-Customer: C1
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
--- config
location / {
    omni on;
    omni_track view ^/p/(.+)\.html$ item=$1;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%;
}
location = /omni/beacon {
    omni on;
    omni_beacon;
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- more_headers
Sec-GPC: 1
--- request
GET /p/SKU-7.html?utm_medium=email
--- response_headers
!Set-Cookie
!X-Omni-Event
!X-Omni-Customer
--- more_headers
Sec-GPC: 1
--- request
POST /omni/beacon
Content-Type: text/plain

[{"type":"pageview"},{"type":"cart","item":"SKU-1"}]
--- error_code
204
--- sleep
0.4
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":0,"visits":0,"pageviews":0,"linked":0,
--- request
GET /p/SKU-7.html?utm_medium=email
--- response_headers
Set-Cookie: ~ ^omni=v1\.
Set-Cookie: ~ ^omni_first=f1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax$
--- sleep
0.4
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":0,
--- request
GET /nothing
--- error_code
404
--- response_headers
Set-Cookie: omni_first=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax
--- sleep
0.4
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":1,"visits":1,"pageviews":1,"linked":1,"carts":1,


=== TEST 4: the beacon: 204, 400 with a JSON error and nothing written, 413, 405
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
--- config
location = /omni/beacon {
    omni on;
    omni_beacon;
}
location = /omni/beacon-file {
    omni on;
    omni_beacon;
    client_body_buffer_size 1k;
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
POST /omni/beacon
Content-Type: application/json

[{"type":"pageview"},{"type":"cart","item":"SKU-1","qty":"x"}]
--- error_code
400
--- response_headers
Content-Type: application/json
--- response_body
{"error":"event 2: invalid qty"}
--- request
POST /omni/beacon

{"type":"view","item":"SKU-1"
--- error_code
400
--- response_body_like
^\{"error":"invalid JSON at line \d+, column \d+"\}$
--- request
POST /omni/beacon
Content-Type: image/png

{"type":"pageview"}
--- error_code
400
--- request
GET /omni/beacon
--- error_code
405
--- response_headers
Allow: POST
Content-Type: application/json
--- sleep
0.4
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":0,
--- exec
python3 -c 'import sys; sys.stdout.write("[" + ",".join(["{\"type\":\"pageview\"}"] * 33) + "]")' > %%PREFIX%%/33.json
python3 -c 'import sys; sys.stdout.write("[" + ",".join(["{\"type\":\"pageview\",\"pad\":\"" + "x" * 600 + "\"}"] * 30) + "]")' > %%PREFIX%%/big.json
python3 -c 'import sys; sys.stdout.write("[" + ",".join(["{\"type\":\"pageview\"}"] * 32) + "]")' > %%PREFIX%%/32.json
curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' --data-binary @%%PREFIX%%/33.json http://127.0.0.1:%%PORT%%/omni/beacon > %%PREFIX%%/codes
curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' --data-binary @%%PREFIX%%/big.json http://127.0.0.1:%%PORT%%/omni/beacon >> %%PREFIX%%/codes
curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @%%PREFIX%%/big.json http://127.0.0.1:%%PORT%%/omni/beacon >> %%PREFIX%%/codes
curl -s -o /dev/null -w '%{http_code}\n' -c %%PREFIX%%/jar1 -H 'Content-Type: text/plain;charset=UTF-8' --data-binary @%%PREFIX%%/32.json http://127.0.0.1:%%PORT%%/omni/beacon >> %%PREFIX%%/codes
curl -s -o /dev/null -w '%{http_code}\n' -c %%PREFIX%%/jar2 -H 'Content-Type: text/plain' -H 'Transfer-Encoding: chunked' --data-binary '{"type":"pageview"}' http://127.0.0.1:%%PORT%%/omni/beacon >> %%PREFIX%%/codes
python3 -c 'import sys; sys.stdout.write("[" + ",".join(["{\"type\":\"pageview\",\"pad\":\"" + "y" * 100 + "\"}"] * 20) + "]")' > %%PREFIX%%/file.json
curl -s -o /dev/null -w '%{http_code}\n' -c %%PREFIX%%/jar3 -H 'Content-Type: application/json' --data-binary @%%PREFIX%%/file.json http://127.0.0.1:%%PORT%%/omni/beacon-file >> %%PREFIX%%/codes
for j in 1 2 3; do curl -s -o /dev/null -b %%PREFIX%%/jar$j http://127.0.0.1:%%PORT%%/omni/beacon; done
cat %%PREFIX%%/codes
--- stdout_like
^413\n413\n413\n204\n204\n204$
--- sleep
0.4
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":3,"visits":3,"pageviews":53,


=== TEST 5: omni_track: values from captures and variables, orders counted once
--- upstream
--- user_files
>>> cart.html
<html>cart</html>
>>> done/O-9/119.90.html
<html>thanks</html>
>>> missing.html
<html>none</html>
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
--- config
location / {
    omni on;
    omni_track cart ^/cart\.html$ item=$arg_sku qty=$arg_qty price=$arg_p;
    omni_track purchase ^/done/([^/]+)/([0-9.]+)\.html$ order=$1 value=$2;
    omni_track view ^/gone/(.+)$ item=$1;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%;
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /cart.html?sku=SKU-5&qty=2&p=10.50
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
--- request
GET /cart.html?sku=a,b&qty=2
--- request
GET /gone/SKU-404
--- error_code
404
--- sleep
0.4
--- exec
$OMNICTL get --store %%DATA%%/store --visitor %%vid%%
--- stdout_like
"cart_value":2100,
"cart":\[\{"item":"SKU-5","qty":2,"price":1050\}\]
"viewed":\[\]
--- request
GET /done/O-9/119.90.html
--- request
GET /done/O-9/119.90.html
--- sleep
0.4
--- exec
$OMNICTL get --store %%DATA%%/store --visitor %%vid%%
--- stdout_like
"purchases":1,"purchase_value":11990,
"purchased":\["SKU-5"\]
"cart":\[\]
"last_order":"O-9"


=== TEST 6: $omni_channel: campaigns, click ids, referrers, configured hosts
--- http_config
omni_secret %%SECRET%%;
omni_channel_referrer partner.example affiliate;
omni_channel_referrer pay.example none;
--- config
location / {
    omni on;
    add_header X-Channel $omni_channel;
    return 200 "ok\n";
}
location /off/ {
    add_header X-Channel "[$omni_channel]";
    return 200 "ok\n";
}
--- request
GET /?utm_source=newsletter&utm_medium=email
--- response_headers
X-Channel: email
--- request
GET /?gclid=abc
--- response_headers
X-Channel: paid_search
--- more_headers
Referer: https://www.google.de/search?q=shoes
--- request
GET /
--- response_headers
X-Channel: search
--- more_headers
Referer: https://l.facebook.com/
--- request
GET /
--- response_headers
X-Channel: social
--- more_headers
Referer: https://blog.partner.example/post
--- request
GET /
--- response_headers
X-Channel: affiliate
--- more_headers
Referer: https://elsewhere.example/
--- request
GET /
--- response_headers
X-Channel: referral
--- more_headers
Referer: https://pay.example/done
--- request
GET /
--- response_headers
X-Channel: direct
--- request
GET /
--- response_headers
X-Channel: direct
--- request
GET /off/
--- response_headers
X-Channel: []


=== TEST 7: visits, page views, bounded records
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
omni_visit_timeout 1s;
--- config
location / {
    omni on;
    default_type text/html;
    return 200 "<html>page</html>\n";
}
location /css {
    omni on;
    default_type text/css;
    return 200 "body{}\n";
}
location = /omni/beacon {
    omni on;
    omni_beacon;
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
--- request
GET /two
--- request
GET /css
--- request
HEAD /three
--- sleep
1.2
--- request
GET /four
--- sleep
0.4
--- exec
$OMNICTL get --store %%DATA%%/store --visitor %%vid%%
--- stdout_like
"visits":2,"pageviews":3,
--- request
POST /omni/beacon

[{"type":"cart","item":"A1"},{"type":"cart","item":"A2"},{"type":"cart","item":"A3"},{"type":"cart","item":"A4"},{"type":"cart","item":"A5"},{"type":"cart","item":"A6"},{"type":"cart","item":"A7"},{"type":"cart","item":"A8"},{"type":"cart","item":"A9"},{"type":"cart","item":"A10"},{"type":"cart","item":"A11"},{"type":"cart","item":"A12"},{"type":"cart","item":"A13"},{"type":"cart","item":"A14"},{"type":"cart","item":"A15"},{"type":"cart","item":"A16"},{"type":"cart","item":"A17"},{"type":"cart","item":"A18"},{"type":"cart","item":"A19"},{"type":"cart","item":"A20"},{"type":"cart","item":"A21"},{"type":"cart","item":"A22"},{"type":"cart","item":"A23"},{"type":"cart","item":"A24"},{"type":"cart","item":"A25"}]
--- error_code
204
--- sleep
0.4
--- exec
$OMNICTL get --store %%DATA%%/store --visitor %%vid%%
--- stdout_like
"cart":\[\{"item":"A25","qty":1,"price":0\},(\{"item":"A\d+","qty":1,"price":0\},){18}\{"item":"A6","qty":1,"price":0\}\],
"cart_value":0,


=== TEST 8: the store is written by another worker: reads see it on the next request
--- workers
2
--- upstream
--- user_files
>>> login.html
<html>welcome</html>
>>> login.html.headers
X-Omni-Customer: C42
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
--- config
location / {
    omni on;
    add_header X-Customer "[$omni_customer]";
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%;
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /nothing
--- error_code
404
--- response_headers
Set-Cookie: ~ ^omni=v1\.
!X-Omni-Customer
--- request
GET /login.html
--- response_headers
X-Customer: []
--- sleep
0.3
--- request
GET /login.html
--- response_headers
X-Customer: [C42]
--- request
GET /login.html
--- response_headers
X-Customer: [C42]
--- request
GET /login.html
--- response_headers
X-Customer: [C42]
--- request
GET /login.html
--- response_headers
X-Customer: [C42]


=== TEST 9: tracking survives a reload; the old workers' queues are flushed
--- workers
2
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 10s;
--- config
location / {
    omni on;
    default_type text/html;
    return 200 "<html>page</html>\n";
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /
--- request
GET /
--- request
GET /
--- reload
--- request
GET /
--- sleep
0.2
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":1,"visits":1,"pageviews":3,


=== TEST 10: the directives' errors fail nginx -t
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; omni_track like ^/p/(.+)$ item=$1; }
--- must_die
--- error_log
invalid event type "like" (view, cart, remove, clear or purchase)


=== TEST 11: a view pattern needs an item
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; omni_track view ^/p/(.+)$; }
--- must_die
--- error_log
"omni_track view" needs "item="


=== TEST 12: an unknown omni_track parameter
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; omni_track cart ^/c$ item=$arg_s sku=$1; }
--- must_die
--- error_log
invalid parameter "sku=$1"


=== TEST 13: a bad regular expression
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; omni_track view ^/p/(.+$ item=$1; }
--- must_die
--- error_log_like
pcre2?_compile\(\) failed


=== TEST 14: omni_track off next to a pattern is a duplicate
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; omni_track view ^/p/(.+)$ item=$1; omni_track off; }
--- must_die
--- error_log
"omni_track" directive is duplicate


=== TEST 15: omni_beacon needs omni on
--- http_config
omni_secret %%SECRET%%;
--- config
location /b { omni_beacon; }
--- must_die
--- error_log
"omni_beacon" needs "omni on" in its location


=== TEST 16: a bad channel in omni_channel_referrer
--- http_config
omni_secret %%SECRET%%;
omni_channel_referrer partner.example friends;
--- config
location / { omni on; }
--- must_die
--- error_log
invalid channel "friends"


=== TEST 17: a bad host in omni_channel_referrer
--- http_config
omni_secret %%SECRET%%;
omni_channel_referrer "bad host" social;
--- config
location / { omni on; }
--- must_die
--- error_log
invalid host "bad host"


=== TEST 18: an undeclared thread pool
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_thread_pool omni;
--- config
location / { omni on; }
--- must_die
--- error_log
unknown thread pool "omni"


=== TEST 19: a queue too small
--- http_config
omni_secret %%SECRET%%;
omni_queue_size 4k;
--- config
location / { omni on; }
--- must_die
--- error_log
"omni_queue_size" must be between 64k and 1g


=== TEST 20: a zero flush interval
--- http_config
omni_secret %%SECRET%%;
omni_flush_interval 0;
--- config
location / { omni on; }
--- must_die
--- error_log
"omni_flush_interval" must be at least 1ms


=== TEST 21: a declared thread pool is used
--- main_config
thread_pool omni threads=1;
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
omni_thread_pool omni;
--- config
location / {
    omni on;
    default_type text/html;
    return 200 "<html>page</html>\n";
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /
--- request
GET /
--- sleep
0.4
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":1,"visits":1,"pageviews":2,
