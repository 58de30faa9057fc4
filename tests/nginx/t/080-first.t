# A new visitor's first response: its events wait in the omni_first
# cookie until the visitor comes back with the visitor cookie (nothing is
# written for a client that never does).  Floods, copies and forgeries are
# in test_abuse.py.

=== TEST 1: without a store there is nothing to carry: no second cookie
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; default_type text/html; return 200 "<p>hi</p>\n"; }
--- request
GET /?utm_medium=email
--- response_headers
Set-Cookie: ~ ^omni=v1\.
--- exec may_fail
curl -s -D - -o /dev/null 'http://127.0.0.1:%%PORT%%/?utm_medium=email' | grep -ci '^set-cookie:'
--- stdout_like
^1$


=== TEST 2: consent: none without it, both with it, both deleted when it goes
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
omni_consent cookie=cmp;
--- config
location / { omni on; default_type text/html; return 200 "<p>hi</p>\n"; }
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /
--- response_headers
!Set-Cookie
--- more_headers
Cookie: cmp=1
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=(?P<cookie>v1[^;]+);
Set-Cookie: ~ ^omni_first=(?P<first>f1\.[^;]+); Path=/; Max-Age=3600; HttpOnly; SameSite=Lax$
--- more_headers
Cookie: omni=%%cookie%%; omni_first=%%first%%
Sec-GPC: 1
--- request
GET /
--- response_headers
Set-Cookie: omni=; Path=/; Max-Age=0; HttpOnly
Set-Cookie: omni_first=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax
--- sleep
0.3
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":0,


=== TEST 3: the cookie goes where the visitor cookie goes: its domain, SameSite and Secure
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_cookie shop max_age=30d domain=.shop.example samesite=none;
--- config
location / { omni on; default_type text/html; return 200 "<p>hi</p>\n"; }
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /
--- response_headers
Set-Cookie: ~ ^shop=v1\.[^;]+; Path=/; Max-Age=2592000; Domain=\.shop\.example; HttpOnly; SameSite=None; Secure$
Set-Cookie: ~ ^shop_first=f1\.[^;]+; Path=/; Max-Age=3600; Domain=\.shop\.example; HttpOnly; SameSite=None; Secure$
Cache-Control: private


=== TEST 4: the next request (even a static file with omni_track off) records the first page, and sees it
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
omni_flush_interval 50ms;
--- config
location / {
    omni on;
    add_header X-Channel $omni_channel;
    default_type text/html;
    return 200 "<p>hi</p>\n";
}
location /static/ {
    omni on;
    omni_track off;
    add_header X-Channel $omni_channel;
    return 200 "body{}\n";
}
--- allow_error_log
omni: tracking is disabled
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
--- sleep
0.4
--- request
GET /landing?utm_medium=email&utm_source=news&utm_campaign=spring
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
Set-Cookie: ~ ^omni_first=f1\.
X-Channel: email
--- sleep
0.3
--- exec
$OMNICTL activity --store %%DATA%%/store --totals
--- stdout_like
^\{"visitors":0,
--- request
GET /static/x.css
Referer: http://localhost/landing
--- response_headers
X-Channel: email
Set-Cookie: omni_first=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax
--- sleep
0.3
--- exec
$OMNICTL get --store %%DATA%%/store --visitor %%vid%%
--- stdout_like
"visits":1,"pageviews":1,
"first_touch":\{"channel":"email","source":"news","medium":"email","campaign":"spring"
--- request
GET /next
Referer: http://localhost/landing
--- response_headers
!Set-Cookie
X-Channel: email
