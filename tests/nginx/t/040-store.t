# The profile store: omni_store and omni_store_check, a store missing at
# start or installed later, $omni_customer and $omni_profile_*, erasure.
#
# Workers run as nobody and the prefix belongs to root, so a store
# directory is made and given to nobody from within a case; the workers
# open the activity store at the next check.

=== TEST 1: no store: pages are served, unpersonalized, with one warning
--- workers
2
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/none;
--- config
location / {
    omni on;
    add_header X-Customer "[$omni_customer]";
    add_header X-Name "[$omni_profile_first_name]";
    return 200 "hello\n";
}
--- request
GET /
--- error_code
200
--- response_headers
X-Customer: []
X-Name: []
--- response_body
hello
--- request
GET /
--- error_code
200
--- error_log
omni: no profiles store "%%DATA%%/none/profiles/data.mdb": pages are served without profiles until one is installed
omni: tracking is disabled: cannot create "%%DATA%%/none/activity"
--- allow_error_log
omni: tracking is disabled


=== TEST 2: a store installed at run time: a linked visitor's profile in headers
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
--- config
location / {
    omni on;
    add_header X-Customer "[$omni_customer]";
    add_header X-Name "[$omni_profile_first_name]";
    add_header X-Tier "[$omni_profile_tier]";
    add_header X-Points "[$omni_profile_points]";
    add_header X-Tags "[$omni_profile_tags]";
    add_header X-Consent "[$omni_profile_consent]";
    add_header X-City "[$omni_profile_city]";
    add_header X-Id "[$omni_profile_customer_id]";
    add_header X-Nope "[$omni_profile_nope]";
    return 200 "hello\n";
}
--- allow_error_log
omni: tracking is disabled
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
X-Name: []
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
printf '%s\n' '{"customer_id": "C1", "first_name": "Ann", "tier": "gold", "points": 1200, "consent": ["email", "ads"], "tags": ["vip", "b2b"], "attrs": {"City": "Oslo"}}' '{"customer_id": "C2", "first_name": "Bo"}' | $OMNICTL import --store %%DATA%%/store -
--- sleep
0.5
--- exec
$OMNICTL link --store %%DATA%%/store -- %%vid%% C1
--- request
GET /
--- response_headers
!Set-Cookie
X-Customer: [C1]
X-Name: [Ann]
X-Tier: [gold]
X-Points: [1200]
X-Tags: [vip,b2b]
X-Consent: [email,ads]
X-City: [Oslo]
X-Id: [C1]
X-Nope: []
--- error_log
omni: activity store opened: %%DATA%%/store/activity, tracking is enabled
omni: profiles store opened: %%DATA%%/store/profiles/data.mdb, 2 profiles
--- exec
$OMNICTL get --store %%DATA%%/store --visitor %%vid%%
--- stdout_like
"customer_id":"C1"
--- clear_cookies
--- request
GET /
--- response_headers
X-Customer: []
X-Name: []


=== TEST 3: a new profiles file is picked up without a reload; erasure empties it
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
--- config
location / {
    omni on;
    add_header X-Name "[$omni_profile_first_name]";
    add_header X-Customer "[$omni_customer]";
    return 200 "hello\n";
}
--- allow_error_log
omni: tracking is disabled
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
echo '{"customer_id": "C1", "first_name": "Ann"}' | $OMNICTL import --store %%DATA%%/store -
--- sleep
0.5
--- exec
$OMNICTL link --store %%DATA%%/store -- %%vid%% C1
--- request
GET /
--- response_headers
X-Name: [Ann]
--- exec
echo '{"customer_id": "C1", "first_name": "Anna"}' | $OMNICTL import --store %%DATA%%/store -
--- sleep
0.4
--- request
GET /
--- response_headers
X-Name: [Anna]
--- exec
$OMNICTL delete --store %%DATA%%/store C1
--- stdout_like
removed visitor %%vid%% \(linked to C1\)
removed profile C1
--- sleep
0.4
--- request
GET /
--- error_code
200
--- response_headers
X-Name: []
X-Customer: []


=== TEST 4: a broken file is refused, the open one keeps serving
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
--- config
location / {
    omni on;
    add_header X-Name "[$omni_profile_first_name]";
    return 200 "hello\n";
}
--- allow_error_log
omni: tracking is disabled
omni: new profiles file not used
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
echo '{"customer_id": "C1", "first_name": "Ann"}' | $OMNICTL import --store %%DATA%%/store -
--- sleep
0.5
--- exec
$OMNICTL link --store %%DATA%%/store -- %%vid%% C1
printf 'garbage' > %%DATA%%/store/profiles/.new
cat %%DATA%%/store/profiles/data.mdb >> %%DATA%%/store/profiles/.new
mv %%DATA%%/store/profiles/.new %%DATA%%/store/profiles/data.mdb
--- sleep
0.4
--- request
GET /
--- error_code
200
--- response_headers
X-Name: [Ann]
--- error_log
omni: new profiles file not used, the open one stays


=== TEST 5: variables are empty where omni is off
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 100ms;
--- config
location / {
    omni on;
    add_header X-Name "[$omni_profile_first_name]";
    return 200 "on\n";
}
location /off {
    add_header X-Name "[$omni_profile_first_name]";
    add_header X-Customer "[$omni_customer]";
    return 200 "off\n";
}
--- allow_error_log
omni: tracking is disabled
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
echo '{"customer_id": "C1", "first_name": "Ann"}' | $OMNICTL import --store %%DATA%%/store -
--- sleep
0.5
--- exec
$OMNICTL link --store %%DATA%%/store -- %%vid%% C1
--- request
GET /
--- response_headers
X-Name: [Ann]
--- request
GET /off
--- response_headers
X-Name: []
X-Customer: []


=== TEST 6: the store survives a reload
--- workers
2
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%/store map_size=64m;
omni_store_check 100ms;
--- config
location / {
    omni on;
    add_header X-Name "[$omni_profile_first_name]";
    return 200 "hello\n";
}
--- allow_error_log
omni: tracking is disabled
--- request
GET /
--- response_headers
Set-Cookie: ~ ^omni=v1\.(?P<vid>[A-Za-z0-9_-]{22})\.
--- exec
mkdir -p %%DATA%%/store && chown nobody %%DATA%%/store
echo '{"customer_id": "C1", "first_name": "Ann"}' | $OMNICTL import --store %%DATA%%/store -
--- sleep
0.5
--- exec
$OMNICTL link --store %%DATA%%/store -- %%vid%% C1
--- reload
--- request
GET /
--- response_headers
X-Name: [Ann]
--- reload
--- request
GET /
--- response_headers
X-Name: [Ann]
--- exec
$OMNICTL stats --store %%DATA%%/store
--- stdout_like
visitors +1
readers +[1-9]\d* of 1024 slots


=== TEST 7: omni_store is checked by nginx -t: duplicate
--- http_config
omni_secret %%SECRET%%;
omni_store %%DATA%%;
omni_store %%DATA%%;
--- must_die
--- error_log
"omni_store" directive is duplicate


=== TEST 8: omni_store: a bad map_size
--- http_config
omni_store %%DATA%% map_size=12q;
--- must_die
--- error_log
invalid map_size "map_size=12q" (at least 1m)


=== TEST 9: omni_store: an unknown parameter
--- http_config
omni_store %%DATA%% mapsize=1g;
--- must_die
--- error_log
invalid parameter "mapsize=1g"


=== TEST 10: omni_store: a file, not a directory
--- http_config
omni_store %%SECRET%%;
--- must_die
--- error_log
omni_store "%%SECRET%%" is not a directory


=== TEST 11: omni_store is an http-level directive
--- config
omni_store %%DATA%%;
--- must_die
--- error_log
"omni_store" directive is not allowed here


=== TEST 12: omni_store_check takes a time
--- http_config
omni_store %%DATA%%;
omni_store_check soon;
--- must_die
--- error_log
"omni_store_check" directive invalid value


=== TEST 13: omnictl store verbs: help, exit codes, strict imports, export round trip
--- config
location / { return 200; }
--- exec
for v in import get delete export stats snapshot link; do $OMNICTL $v --help | grep -q "^usage: omnictl $v --store DIR" || exit 1; done
$OMNICTL import; test $? -eq 2
$OMNICTL import --store %%DATA%%/s; test $? -eq 2
$OMNICTL import --store %%DATA%%/s --batch x -; test $? -eq 2
$OMNICTL get --store %%DATA%%/s --bogus C1; test $? -eq 2
$OMNICTL get --store %%DATA%%/s --visitor not-an-id; test $? -eq 2
$OMNICTL link --store %%DATA%%/s AAAAAAAAAAAAAAAAAAAAAA; test $? -eq 2
printf '%s\n' '{"customer_id": "C1", "tier": "gold"}' 'nope' | $OMNICTL import --store %%DATA%%/s --strict -; test $? -eq 1
test ! -e %%DATA%%/s/profiles/data.mdb
$OMNICTL get --store %%DATA%%/s C1; test $? -eq 1
printf '%s\n' '{"customer_id": "C1", "first_name": "Zo\u00eb", "tier": "gold", "points": 7, "tags": ["vip"], "attrs": {"n": 3}}' '{"customer_id": "C2"}' | $OMNICTL import --store %%DATA%%/s -
$OMNICTL export --store %%DATA%%/s > %%DATA%%/a.jsonl
$OMNICTL import --store %%DATA%%/t %%DATA%%/a.jsonl
$OMNICTL export --store %%DATA%%/t | cmp - %%DATA%%/a.jsonl
$OMNICTL get --store %%DATA%%/s C9; test $? -eq 1
$OMNICTL delete --store %%DATA%%/s C9
--- stdout_like
^nothing stored for C9$
--- exec
$OMNICTL get --store %%DATA%%/s C1
--- stdout_like
^\{"customer_id":"C1","first_name":"Zoë","tier":"gold","points":7,"tags":\["vip"\],"attrs":\{"n":"3"\}\}$
--- exec
$OMNICTL stats --store %%DATA%%/s --json
--- stdout_like
"profiles":\{"path":"[^"]+/s/profiles/data.mdb","ready":true,"entries":2,
"activity":\{"path":"[^"]+/s/activity","ready":false,"error":
