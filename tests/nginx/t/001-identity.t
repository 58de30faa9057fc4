# Visitor identity: the signed cookie, its attributes, consent and GPC.
#
# Every block runs its own nginx; %%SECRET%% is a fresh 32-byte key.

=== TEST 1: a first visit gets a valid cookie carrying $omni_visitor
--- http_config
omni_secret %%SECRET%%;
--- config
location / {
    omni on;
    add_header X-Visitor $omni_visitor;
    add_header X-New $omni_new_visitor;
    add_header X-Consent $omni_consent;
    return 200 "hello\n";
}
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{22}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax$
X-Visitor: %%vid%%
X-New: 1
X-Consent: 1
Cache-Control: private
--- response_body
hello
--- request
GET /
--- response_headers
!Set-Cookie
X-Visitor: %%vid%%
X-New: 0
!Cache-Control


=== TEST 2: two new visitors get different ids
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; add_header X-Visitor $omni_visitor; return 200; }
--- request
GET /
--- response_headers
X-Visitor: ~ ^(?P<first>.{22})$
--- clear_cookies
--- request
GET /
--- response_headers
X-Visitor: ~ ^(?!%%first%%).{22}$


=== TEST 3: a forged cookie gets a new id, logged at info, never an error
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; add_header X-Visitor $omni_visitor;
             add_header X-New $omni_new_visitor; return 200 "ok\n"; }
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[^.]{22})\.(?P<mac>[^;]{22});
--- more_headers
Cookie: omni=v1.%%vid%%.AAAAAAAAAAAAAAAAAAAAAA
--- request
GET /
--- error_code
200
--- response_headers
X-New: 1
X-Visitor: ~ ^(?!%%vid%%)
Set-Cookie: ~ ^omni=v1\.
--- error_log
client sent invalid visitor cookie (signature mismatch)
--- no_error_log
AAAAAAAAAAAAAAAAAAAAAA


=== TEST 4: malformed, oversized and unknown-version cookies get a new id
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; add_header X-New $omni_new_visitor; return 200; }
--- more_headers
Cookie: omni=garbage
--- request
GET /
--- response_headers
X-New: 1
Set-Cookie: ~ ^omni=v1\.
--- more_headers
Cookie: omni=v2.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA
--- request
GET /
--- response_headers
X-New: 1
--- more_headers
Cookie: omni=v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
--- request
GET /
--- response_headers
X-New: 1
--- more_headers
Cookie: omni=v1.A*AAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA
--- request
GET /
--- response_headers
X-New: 1
--- error_log
(malformed input)
(unknown version)
(input too large)


=== TEST 5: a cookie signed with another secret is not accepted
--- user_files
>>> %%PREFIX%%/conf/other
another-secret-of-at-least-32-bytes-long
--- http_config
omni_secret %%SECRET%%;
--- config
location /a { omni on; add_header X-Visitor $omni_visitor; return 200; }
location /b { omni on; omni_secret %%PREFIX%%/conf/other;
              add_header X-Visitor $omni_visitor;
              add_header X-New $omni_new_visitor; return 200; }
--- request
GET /a
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[^.]{22})\.
--- request
GET /b
--- response_headers
X-New: 1
X-Visitor: ~ ^(?!%%vid%%)
--- error_log
client sent invalid visitor cookie (signature mismatch)


=== TEST 6: without an omni_consent directive consent is implied
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; add_header X-Consent $omni_consent; return 200; }
--- request
GET /
--- response_headers
X-Consent: 1
Set-Cookie: ~ ^omni=


=== TEST 7: consent required and absent: no cookie, anonymous visitor
--- http_config
omni_secret %%SECRET%%;
omni_consent cookie=cmp_consent;
--- config
location / { omni on; add_header X-Consent $omni_consent;
             add_header X-Visitor "[$omni_visitor]"; return 200; }
--- request
GET /
--- response_headers
!Set-Cookie
X-Consent: 0
X-Visitor: []
--- more_headers
Cookie: cmp_consent=1
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.
X-Consent: 1


=== TEST 8: a consent value must be listed in the consent cookie
--- http_config
omni_secret %%SECRET%%;
omni_consent cookie=cmp:analytics;
--- config
location / { omni on; add_header X-Consent $omni_consent; return 200; }
--- more_headers
Cookie: cmp=ads,functional
--- request
GET /
--- response_headers
!Set-Cookie
X-Consent: 0
--- more_headers
Cookie: cmp=ads,Analytics
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=
X-Consent: 1
--- more_headers
Cookie: cmp=analyticsx
--- request
GET /
--- response_headers
X-Consent: 0


=== TEST 9: Sec-GPC withdraws consent, unless gpc=off
--- http_config
omni_secret %%SECRET%%;
omni_consent cookie=cmp;
--- config
location / { omni on; add_header X-Consent $omni_consent; return 200; }
location /nogpc { omni on; omni_consent cookie=cmp gpc=off;
                  add_header X-Consent $omni_consent; return 200; }
--- more_headers
Cookie: cmp=yes
Sec-GPC: 1
--- request
GET /
--- response_headers
!Set-Cookie
X-Consent: 0
--- more_headers
Cookie: cmp=yes
Sec-GPC: 1
--- request
GET /nogpc
--- response_headers
Set-Cookie: ~ ^omni=
X-Consent: 1


=== TEST 10: GPC applies even when consent is implied; DNT only with dnt=on
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; add_header X-Consent $omni_consent; return 200; }
location /dnt { omni on; omni_consent cookie=cmp dnt=on;
                add_header X-Consent $omni_consent; return 200; }
--- more_headers
Sec-GPC: 1
--- request
GET /
--- response_headers
!Set-Cookie
X-Consent: 0
--- more_headers
DNT: 1
--- request
GET /
--- response_headers
X-Consent: 1
--- more_headers
DNT: 1
Cookie: cmp=1
--- request
GET /dnt
--- response_headers
!Set-Cookie
X-Consent: 0


=== TEST 11: a visitor who withdraws consent loses the cookie
--- http_config
omni_secret %%SECRET%%;
omni_consent cookie=cmp;
--- config
location / { omni on; return 200; }
--- more_headers
Cookie: cmp=1
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=(?P<cookie>v1[^;]+);
--- more_headers
Cookie: omni=%%cookie%%
--- request
GET /
--- response_headers
Set-Cookie: omni=; Path=/; Max-Age=0; HttpOnly


=== TEST 12: omni off in a nested location
--- http_config
omni_secret %%SECRET%%;
omni on;
--- config
location / {
    add_header X-Visitor "[$omni_visitor]";
    return 200;
    location /static/ {
        omni off;
        add_header X-Visitor "[$omni_visitor]";
        return 200;
    }
}
--- request
GET /static/app.css
--- response_headers
!Set-Cookie
X-Visitor: []
--- request
GET /page
--- response_headers
Set-Cookie: ~ ^omni=
X-Visitor: ~ ^\[.{22}\]$


=== TEST 13: the id minted before an internal redirect is the one in the cookie
--- http_config
omni_secret %%SECRET%%;
--- config
location / {
    omni on;
    set $before $omni_visitor;
    try_files /missing @app;
}
location @app {
    omni on;
    add_header X-Before $before;
    add_header X-After $omni_visitor;
    return 200;
}
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[^.]{22})\.
X-Before: %%vid%%
X-After: %%vid%%


=== TEST 14: cookie attributes: name, max_age, domain, samesite
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; omni_cookie vid max_age=30d domain=.shop.test samesite=strict;
             return 200; }
location /none { omni on; omni_cookie vid samesite=none; return 200; }
--- request
GET /
--- response_headers
Set-Cookie: ~ ^vid=v1\.[^;]+; Path=/; Max-Age=2592000; Domain=.shop.test; HttpOnly; SameSite=Strict$
--- clear_cookies
--- request
GET /none
--- response_headers
Set-Cookie: ~ ; SameSite=None; Secure$


=== TEST 15: settings are inherited from http to server to location
--- http_config
omni_secret %%SECRET%%;
omni_cookie shopper max_age=1h;
omni on;
--- config
location / { return 200; }
location /own { omni_cookie own; return 200; }
--- request
GET /
--- response_headers
Set-Cookie: ~ ^shopper=v1\.[^;]+; Path=/; Max-Age=3600;
--- clear_cookies
--- request
GET /own
--- response_headers
Set-Cookie: ~ ^own=v1\.[^;]+; Path=/; Max-Age=31536000;


=== TEST 16: a public Cache-Control becomes private with the cookie
--- http_config
omni_secret %%SECRET%%;
--- config
location / { omni on; add_header Cache-Control "public, max-age=60, s-maxage=600";
             return 200; }
--- request
GET /
--- response_headers
Cache-Control: private, max-age=60
--- request
GET /
--- response_headers
Cache-Control: public, max-age=60, s-maxage=600


=== TEST 17: the variables work in log_format, map and proxy_set_header
--- http_config
omni_secret %%SECRET%%;
log_format omni '$omni_visitor new=$omni_new_visitor consent=$omni_consent';
map $omni_new_visitor $greeting { 1 welcome; default back; }
--- config
access_log %%PREFIX%%/logs/omni.log omni;
location / { omni on; add_header X-Greeting $greeting;
             proxy_set_header X-Omni-Visitor $omni_visitor;
             proxy_pass http://127.0.0.1:%%PORT%%/echo; }
location /echo { omni off; return 200 "$http_x_omni_visitor\n"; }
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[^.]{22})\.
X-Greeting: welcome
--- response_body
%%vid%%
--- request
GET /
--- response_headers
X-Greeting: back
--- exec
grep -q '^%%vid%% new=1 consent=1$' %%PREFIX%%/logs/omni.log
grep -q '^%%vid%% new=0 consent=1$' %%PREFIX%%/logs/omni.log


=== TEST 18: a short omni_secret fails nginx -t, naming the file
--- http_config
omni_secret %%PREFIX%%/conf/short;
--- exec
printf 'only-31-bytes-of-secret-here!!!\n' > %%PREFIX%%/conf/short
--- must_die
--- error_log
omni_secret file "%%PREFIX%%/conf/short" holds 31 bytes, at least 32 are needed


=== TEST 19: a missing omni_secret file fails nginx -t
--- http_config
omni_secret %%PREFIX%%/conf/nonexistent;
--- must_die
--- error_log
cannot open omni_secret file "%%PREFIX%%/conf/nonexistent"


=== TEST 20: omni on without omni_secret fails nginx -t
--- config
location / { omni on; }
--- must_die
--- error_log
"omni" is on but no "omni_secret" is set


=== TEST 21: bad omni_cookie and omni_consent parameters fail nginx -t
--- http_config
omni_secret %%SECRET%%;
omni_cookie omni samesite=sometimes;
--- must_die
--- error_log
invalid parameter "samesite=sometimes"
--- error_log_like
nginx\.conf:\d+


=== TEST 22: omni_consent needs a cookie
--- http_config
omni_consent gpc=on;
--- must_die
--- error_log
"omni_consent" needs a "cookie=NAME" parameter


=== TEST 23: duplicate directives are refused
--- http_config
omni_secret %%SECRET%%;
omni_secret %%SECRET%%;
--- must_die
--- error_log
"omni_secret" directive is duplicate
