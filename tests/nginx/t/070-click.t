# omni_click: offer clicks are counted and redirected, never to a host
# that is neither this site nor in omni_click_allow.

=== TEST 1: a click on a path of this site is counted and redirected
--- http_config
omni_secret %%SECRET%%;
omni_zone kpi 1m;
--- config
omni on;
location /omni/click { omni_click; }
location /status { omni off; omni_status; }
--- request
GET /omni/click?o=welcome&v=b&to=%2Fcart%3Fstep%3D1
--- error_code
302
--- response_headers
Location: ~ ^http://localhost(:\d+)?/cart\?step=1$
Cache-Control: no-store
Set-Cookie: ~ ^omni=v1\.
--- request
GET /status
--- response_body_like
"welcome"
"clicks":\s*1\b


=== TEST 2: absolute URLs to this host or an allowed one pass
--- http_config
omni_secret %%SECRET%%;
omni_click_allow checkout.example .partner.example;
--- config
omni on;
location /omni/click { omni_click; }
--- request
GET /omni/click?o=x&to=https%3A%2F%2Flocalhost%2Fa
--- error_code
302
--- response_headers
Location: https://localhost/a
--- request
GET /omni/click?o=x&to=https://checkout.example:8443/pay?id=1
--- error_code
302
--- response_headers
Location: https://checkout.example:8443/pay?id=1
--- request
GET /omni/click?o=x&to=http://www.partner.example/
--- error_code
302
--- request
GET /omni/click?o=x&to=https://partner.example
--- error_code
302
--- request
GET /omni/click?o=x&to=%2Fsearch%3Fq%3Da%20b%22c
--- error_code
302
--- response_headers
Location: ~ /search\?q=a%20b%22c$


=== TEST 3: no open redirect, whatever the spelling
--- http_config
omni_secret %%SECRET%%;
omni_click_allow .partner.example;
--- config
omni on;
location /omni/click { omni_click; }
--- request
GET /omni/click?o=x&to=https://evil.example/
--- error_code
400
--- request
GET /omni/click?o=x&to=//evil.example/
--- error_code
400
--- request
GET /omni/click?o=x&to=%2F%2Fevil.example
--- error_code
400
--- request
GET /omni/click?o=x&to=/%5Cevil.example
--- error_code
400
--- request
GET /omni/click?o=x&to=https://localhost@evil.example/
--- error_code
400
--- request
GET /omni/click?o=x&to=https://evilpartner.example/
--- error_code
400
--- request
GET /omni/click?o=x&to=https://partner.example.evil.example/
--- error_code
400
--- request
GET /omni/click?o=x&to=javascript:alert(1)
--- error_code
400
--- request
GET /omni/click?o=x&to=data:text/html,hi
--- error_code
400
--- request
GET /omni/click?o=x&to=cart
--- error_code
400
--- request
GET /omni/click?o=x&to=/a%0d%0aSet-Cookie:%20x=1
--- error_code
400
--- response_headers
!Location
--- request
GET /omni/click?o=x
--- error_code
400
--- request
GET /omni/click?to=/cart
--- error_code
400
--- request
GET /omni/click?o=%3Cscript%3E&to=/cart
--- error_code
400
--- error_log
omni: click refused: target not allowed
omni: click refused: no valid offer id


=== TEST 4: only GET and HEAD
--- http_config
omni_secret %%SECRET%%;
--- config
location /omni/click { omni_click; }
--- request
POST /omni/click?o=x&to=/

a=b
--- error_code
405


=== TEST 5: a consenting visitor's click becomes their last offer
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%;
omni_flush_interval 50ms;
--- config
omni on;
location /omni/click { omni_click; }
location / { add_header X-Visitor $omni_visitor; return 200 "ok\n"; }
--- request
GET /
--- response_headers
X-Visitor: ~ ^(?P<vid>.{22})$
--- request
GET /omni/click?o=trail-shoe-x&v=a&to=/p/SKU-7
--- error_code
302
--- sleep
0.5
--- exec
%%OMNICTL%% get --store %%DATA%% --visitor %%vid%%
--- stdout_like
"last_offer":\s*"trail-shoe-x"


=== TEST 6: a bad omni_click_allow host fails nginx -t
--- http_config
omni_click_allow "evil.example/path";
--- must_die
--- error_log
invalid host "evil.example/path"
