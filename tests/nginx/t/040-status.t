# KPI counters: omni_zone, omni_status (JSON, Prometheus, reset),
# omni_dashboard, omni_count, and their configuration errors.
#
# Exact counts after scripted traffic, reloads, restarts, the strict
# Prometheus parser and the browser test are in tests/nginx/test_kpi.py.

=== TEST 1: the status is JSON of schema 1, never cached
--- http_config
omni_zone kpi 1m;
--- config
location = /status { omni_status; }
--- request
GET /status
--- error_code
200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
Content-Length: ~ ^\d+$
--- response_body_like
^\{"schema":1,"generator":"ngx_omni_module \(nginx/1\.\d+\.\d+\)",
"zone":\{"name":"kpi","size":1048576,"capacity":\d+,"used":0\}
"totals":\{"visits":0,"views":0,"impressions":0,"clicks":0,"carts":0,"purchases":0,"revenue_cents":0,"abandoned":0,"recovered":0\}
"offers":\[\],"variants":\[\],"segments":\[\],"channels":\[\]
"experiments":\[\]
"series":\{"step":3600,"end":\d+,"hours":48,
"persisted":null
"attribution_window":604800
"operations":\{"store":\{"lookups":0,
"pages":\{"rewritten":0,"skipped":\{"not_html":0,


=== TEST 2: HEAD has the headers and no body; other methods are refused
--- http_config
omni_zone kpi 1m;
--- config
location = /status { omni_status; }
--- request
HEAD /status
--- error_code
200
--- response_headers
Content-Type: application/json
--- response_body chomp

--- request
PUT /status

x
--- error_code
405
--- request
DELETE /status
--- error_code
405


=== TEST 3: Prometheus text with ?format=prometheus
--- http_config
omni_zone kpi 1m;
omni_attribution_window 2d;
--- config
location = /status { omni_status; }
location = /imp { omni_count impression offer=welcome variant=b
                  channel=email segments=vip; return 204; }
--- request
GET /imp
--- error_code
204
--- request
GET /status?format=prometheus
--- error_code
200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
Cache-Control: no-store
--- response_body_like
(?m)^# HELP omni_impressions_total Offer impressions \(holdout exposures included\)\.$
(?m)^# TYPE omni_impressions_total counter$
(?m)^omni_impressions_total 1$
(?m)^omni_offer_impressions_total\{offer="welcome"\} 1$
(?m)^omni_variant_impressions_total\{offer="welcome",variant="b"\} 1$
(?m)^omni_segment_impressions_total\{segment="vip"\} 1$
(?m)^omni_channel_impressions_total\{channel="email"\} 1$
(?m)^omni_pages_skipped_total\{reason="not_html"\} 0$
(?m)^omni_attribution_window_seconds 172800$
(?m)^omni_kpi_rows\{state="used"\} 3$


=== TEST 4: access is ordinary allow / deny
--- http_config
omni_zone kpi 1m;
--- config
location = /open { omni_status; allow 127.0.0.1; deny all; }
location = /closed { omni_status; deny 127.0.0.1; allow all; }
location = /dash { omni_dashboard /open; deny all; }
--- request
GET /open
--- error_code
200
--- request
GET /closed
--- error_code
403
--- request
GET /closed?format=prometheus
--- error_code
403
--- request
GET /dash
--- error_code
403
--- allow_error_log
access forbidden by rule


=== TEST 5: no reset without a configured token: 405
--- http_config
omni_zone kpi 1m;
--- config
location = /status { omni_status; }
--- request
POST /status?reset
X-Omni-Token: 0123456789abcdef

--- error_code
405


=== TEST 6: reset needs ?reset and the exact token; then counters are zero
--- http_config
omni_zone kpi 1m;
--- config
omni_status_reset_token 0123456789abcdef;
location = /status { omni_status; }
location = /buy { omni_count purchase offer=o value=$arg_v; return 204; }
--- request
GET /buy?v=12.50
--- request
POST /status?reset
--- error_code
403
--- request
POST /status?reset
X-Omni-Token: 0123456789abcdeF

--- error_code
403
--- request
POST /status?reset
X-Omni-Token: 0123456789abcde

--- error_code
403
--- request
POST /status
X-Omni-Token: 0123456789abcdef

--- error_code
400
--- request
GET /status
--- response_body_like
"totals":\{[^}]*"purchases":1,"revenue_cents":1250,
--- request
POST /status?x=1&reset
x-omni-token: 0123456789abcdef

--- error_code
200
--- response_headers
Content-Type: application/json
--- response_body_like
^\{"reset":true,"since":\d+\}$
--- request
GET /status
--- response_body_like
"totals":\{[^}]*"purchases":0,"revenue_cents":0,
"offers":\[\{"offer":"o",
--- error_log
reset refused: no token
reset refused: wrong token
omni_zone "kpi": counters reset


=== TEST 7: the reset token is inherited from the server level
--- http_config
omni_zone kpi 1m;
--- config
omni_status_reset_token abcdefghijklmnopqrstuvwxyz;
location /a { location = /a/status { omni_status; } }
--- request
POST /a/status?reset
X-Omni-Token: abcdefghijklmnopqrstuvwxyz

--- error_code
200


=== TEST 8: omni_count counts after the response, not for errors
--- http_config
omni_zone kpi 1m;
--- config
location = /status { omni_status; }
location = /ok { omni_count click offer=$arg_o channel=$arg_c; return 204; }
location = /missing { omni_count click offer=$arg_o; return 404; }
location = /thanks {
    omni_count purchase offer=$arg_o variant=$arg_v value=$arg_total;
    omni_count visit channel=$arg_c segments=$arg_s;
    return 200 "thanks\n";
}
--- request
GET /ok?o=welcome&c=sms
--- request
GET /missing?o=welcome
--- error_code
404
--- request
GET /thanks?o=welcome&v=a&total=49.9&c=sms&s=vip,,new
--- request
GET /thanks?o=welcome&v=a&total=x&c=sms
--- request
GET /thanks?o=welcome&v=a&total=-1
--- request
GET /status
--- response_body_like
"totals":\{"visits":3,"views":0,"impressions":0,"clicks":1,"carts":0,"purchases":1,"revenue_cents":4990,
"offers":\[\{"offer":"welcome","visits":0,"views":0,"impressions":0,"clicks":1,"carts":0,"purchases":1,"revenue_cents":4990,
"variants":\[\{"offer":"welcome","variant":"a",[^}]*"purchases":1,"revenue_cents":4990,
"segments":\[\{"segment":"new","visits":1,[^]]*\{"segment":"vip","visits":1,
"channels":\[\{"channel":"sms","visits":2,"views":0,"impressions":0,"clicks":1,
--- error_log
omni_count: invalid purchase value "x", not counted
omni_count: invalid purchase value "-1", not counted


=== TEST 9: invalid keys are dropped and counted, the rest is kept
--- http_config
omni_zone kpi 1m;
--- config
location = /status { omni_status; }
location = /imp { set $long "0123456789012345678901234567890123456789-too-long-for-a-channel";
                  omni_count impression offer=ok channel=$long; return 204; }
--- request
GET /imp
--- request
GET /status
--- response_body_like
"offers":\[\{"offer":"ok",[^}]*"impressions":1,
"channels":\[\]
"kpi":\{"overflow":0,"rejected":1,
--- error_log
omni_count: impression counted in part


=== TEST 10: the dashboard: one page, strict CSP, the status URI escaped
--- http_config
omni_zone kpi 1m;
--- config
location = /omni/status { omni_status; }
location = /omni/dashboard { omni_dashboard; }
location = /other { omni_dashboard "/x?a=1&b=<2>"; }
--- request
GET /omni/dashboard
--- error_code
200
--- response_headers
Content-Type: text/html; charset=utf-8
Content-Security-Policy: ~ ^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]{44}'; style-src 'sha256-[A-Za-z0-9+/=]{44}'; connect-src 'self';
X-Content-Type-Options: nosniff
Referrer-Policy: no-referrer
Cache-Control: no-store
--- response_body_like
^<!DOCTYPE html>
<meta name="omni-status" content="status">
</html>\n$
--- response_body_unlike
<script src=
<link(?! rel="icon" href="data:)
(src|href)=["']?(https?:)?//
url\(
@import
--- request
GET /other
--- response_body_like
<meta name="omni-status" content="/x\?a=1&amp;b=&lt;2&gt;">
--- request
POST /omni/dashboard
--- error_code
405


=== TEST 11: omni_status without omni_zone fails nginx -t
--- must_die
--- config
location = /status { omni_status; }
--- error_log
"omni_status" and "omni_dashboard" need an "omni_zone" in the http block


=== TEST 12: a zone below 8 pages fails nginx -t
--- must_die
--- http_config
omni_zone kpi 16k;
--- error_log
invalid zone size "16k"


=== TEST 13: two zones fail nginx -t
--- must_die
--- http_config
omni_zone kpi 1m;
omni_zone other 1m;
--- error_log
"omni_zone" directive is duplicate


=== TEST 14: a persist directory that does not exist fails nginx -t
--- must_die
--- http_config
omni_zone kpi 1m persist=%%PREFIX%%/no/such/dir/kpi.snap;
--- error_log
omni_zone persist directory "%%PREFIX%%/no/such/dir/" does not exist


=== TEST 15: unknown zone parameters and a short persist interval
--- must_die
--- http_config
omni_zone kpi 1m persist=%%DATA%%/kpi.snap persist_interval=10ms;
--- error_log
invalid persist_interval "10ms" (at least 1s)


=== TEST 16: persist_interval without persist
--- must_die
--- http_config
omni_zone kpi 1m persist_interval=5s;
--- error_log
"persist_interval" needs "persist"


=== TEST 17: an unknown parameter
--- must_die
--- http_config
omni_zone kpi 1m persits=%%DATA%%/kpi.snap;
--- error_log
invalid parameter "persits=


=== TEST 18: a bad attribution window
--- must_die
--- http_config
omni_zone kpi 1m;
omni_attribution_window 0;
--- error_log
invalid attribution window "0"


=== TEST 19: a guessable reset token is refused
--- must_die
--- http_config
omni_zone kpi 1m;
--- config
location = /status { omni_status; omni_status_reset_token short; }
--- error_log
"omni_status_reset_token" must be at least 16 characters long


=== TEST 20: omni_count checks its event and its parameters
--- must_die
--- http_config
omni_zone kpi 1m;
--- config
location = /a { omni_count purchases offer=x; }
--- error_log
unknown event "purchases"


=== TEST 21: omni_count value= is for purchases only
--- must_die
--- http_config
omni_zone kpi 1m;
--- config
location = /a { omni_count click offer=x value=1; }
--- error_log
"value=" is for purchases only


=== TEST 22: omni_count variant= needs offer=
--- must_die
--- http_config
omni_zone kpi 1m;
--- config
location = /a { omni_count impression variant=a; }
--- error_log
"variant=" needs "offer="


=== TEST 23: a damaged snapshot file is reported and counting starts afresh
--- user_files
>>> %%DATA%%/kpi.snap
not a snapshot
--- http_config
omni_zone kpi 1m persist=%%DATA%%/kpi.snap;
--- config
location = /status { omni_status; }
--- request
GET /status
--- error_code
200
--- error_log
omni_zone "kpi": snapshot "%%DATA%%/kpi.snap" not loaded: malformed input
