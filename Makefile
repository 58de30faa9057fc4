# ngx_omni_module: the one entry point.
#
#   make            the module (build/ngx_http_omni_module.so), libomni.a
#                   and omnictl
#   make deps       the Debian packages everything below needs
#   make test       unit tests (plain and under ASan+UBSan), end-to-end tests
#                   (plain and with the module under ASan+UBSan), fuzzing
#   make demo       the demo storefront on http://127.0.0.1:8080
#   make bench      benchmarks against plain nginx
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each

NGINX_BIN    ?= /usr/sbin/nginx
NGX_SRC      ?= /usr/share/nginx/src
BUILD        ?= build
PREFIX       ?= /usr/local
MODULES_DIR  ?= /usr/lib/nginx/modules
FUZZ_SECONDS ?= 10

CC           ?= cc
CFLAGS       ?= -O2 -g
OMNI_CFLAGS   = -std=gnu99 -Wall -Wextra -Werror -Iinclude -fPIC
SAN_CFLAGS    = -O1 -g -fsanitize=address,undefined \
                -fno-sanitize-recover=all -fno-omit-frame-pointer
LIBS          = -llmdb -ljansson -lcrypto -lz -lm

CORE_SRCS    := $(sort $(wildcard src/*.c))
CORE_HDRS    := $(wildcard include/omni/*.h src/*.h)
GLUE_SRCS    := $(sort $(wildcard ngx_omni_module/*.c))
GLUE_HDRS    := $(wildcard ngx_omni_module/*.h)
OMNICTL_SRCS := $(sort $(wildcard tools/omnictl/*.c))
OMNICTL_HDRS := $(wildcard tools/omnictl/*.h)
UNIT_SRCS    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_SUPPORT := $(filter-out $(UNIT_SRCS), $(wildcard tests/unit/*.c))
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))

CORE_OBJS     = $(CORE_SRCS:src/%.c=$(BUILD)/core/%.o)
CORE_SAN_OBJS = $(CORE_SRCS:src/%.c=$(BUILD)/core-san/%.o)
LIBOMNI       = $(BUILD)/libomni.a
LIBOMNI_SAN   = $(BUILD)/libomni-san.a
MODULE        = $(BUILD)/ngx_http_omni_module.so
OMNICTL       = $(BUILD)/omnictl
UNIT_BINS     = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
UNIT_SAN_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit-san/%)
FUZZ_BINS     = $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)

all: $(MODULE) $(LIBOMNI) $(OMNICTL)

deps:
	@./util/deps.sh

.PHONY: all deps module lib omnictl unit unit-san e2e test fuzz bench \
        demo demo-stop install clean FORCE

module: $(MODULE)
lib: $(LIBOMNI)
omnictl: $(OMNICTL)


# The core, as a static library for omnictl and the tests; the module
# compiles the same sources itself with nginx's flags.

$(BUILD)/core/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) -c $< -o $@

$(BUILD)/core-san/%.o: src/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(OMNI_CFLAGS) -c $< -o $@

$(LIBOMNI): $(CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(LIBOMNI_SAN): $(CORE_SAN_OBJS)
	rm -f $@ && ar rcs $@ $^

$(OMNICTL): $(OMNICTL_SRCS) $(OMNICTL_HDRS) $(LIBOMNI)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) -Itools/omnictl $(OMNICTL_SRCS) \
	    $(LIBOMNI) $(LIBS) -o $@


# The module is built in a copy of Debian's nginx build tree, configured
# with the distribution's own flags so that it loads into /usr/sbin/nginx.
# configure runs again whenever the set of source files changes.

$(BUILD)/sources.list: FORCE
	@mkdir -p $(BUILD)
	@echo $(CORE_SRCS) $(CORE_HDRS) $(GLUE_SRCS) $(GLUE_HDRS) \
	    | cmp -s - $@ 2>/dev/null \
	    || echo $(CORE_SRCS) $(CORE_HDRS) $(GLUE_SRCS) $(GLUE_HDRS) > $@

$(BUILD)/nginx/objs/Makefile: config $(BUILD)/sources.list
	@test -f $(NGX_SRC)/conf_flags \
	    || { echo "no nginx build tree in $(NGX_SRC): run make deps"; exit 1; }
	rm -rf $(BUILD)/nginx
	cp -a $(NGX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && bash -c '. ./conf_flags \
	    && ./configure "$${NGX_CONF_FLAGS[@]}" \
	           --with-cc-opt="$(NGX_CC_OPT)" --with-ld-opt="$(NGX_LD_OPT)" \
	           --add-dynamic-module=$(CURDIR)' > ../configure.log 2>&1 \
	    || { tail -20 ../configure.log; exit 1; }

NGX_CC_OPT ?= -O2 -g
NGX_LD_OPT ?=

$(MODULE): $(BUILD)/nginx/objs/Makefile $(CORE_SRCS) $(CORE_HDRS) \
           $(GLUE_SRCS) $(GLUE_HDRS)
	$(MAKE) -s -C $(BUILD)/nginx -f objs/Makefile modules
	@# a new inode: an nginx still running the old file keeps its mapping
	cp $(BUILD)/nginx/objs/ngx_http_omni_module.so $@.tmp && mv -f $@.tmp $@


# Tests

$(BUILD)/unit/%: tests/unit/%.c $(UNIT_SUPPORT) $(LIBOMNI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) -Itests/unit $< $(UNIT_SUPPORT) \
	    $(LIBOMNI) -lcmocka $(LIBS) -o $@

$(BUILD)/unit-san/%: tests/unit/%.c $(UNIT_SUPPORT) $(LIBOMNI_SAN)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(OMNI_CFLAGS) -Itests/unit $< $(UNIT_SUPPORT) \
	    $(LIBOMNI_SAN) -lcmocka $(LIBS) -o $@

unit: $(UNIT_BINS)
	@./util/run-unit.sh $(UNIT_BINS)

unit-san: $(UNIT_SAN_BINS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ./util/run-unit.sh $(UNIT_SAN_BINS)

e2e: $(MODULE) $(OMNICTL)
	python3 tests/nginx/run.py --nginx $(NGINX_BIN) --module $(MODULE) \
	    --omnictl $(OMNICTL) $(E2E_ARGS)

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) e2e
	$(MAKE) e2e-san
	$(MAKE) fuzz FUZZ_SECONDS=$(CI_FUZZ_SECONDS)

CI_FUZZ_SECONDS ?= 3


# Fuzzing: libFuzzer with ASan and UBSan, one binary per parser, each
# started from its seed corpus in tests/fuzz/corpus/<target>.

$(BUILD)/fuzz/%: tests/fuzz/%.c $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(OMNI_CFLAGS) \
	    $< $(CORE_SRCS) $(LIBS) -o $@

fuzz: $(FUZZ_BINS)
	@./util/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)


bench: all
	@./bench/run.sh


demo: deps
	$(MAKE) all
	./demo/run.sh start

demo-stop:
	./demo/run.sh stop


install: all
	install -d $(DESTDIR)$(MODULES_DIR) $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(MODULE) $(DESTDIR)$(MODULES_DIR)/
	install -m 755 $(OMNICTL) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf $(BUILD)


# The HTML scanner's microbenchmark (ns per page; see bench/bench_html.c).

$(BUILD)/bench/bench_html: bench/bench_html.c $(LIBOMNI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) $< $(LIBOMNI) -o $@

bench-html: $(BUILD)/bench/bench_html
	$(BUILD)/bench/bench_html $(BENCH_PAGE)

.PHONY: bench-html


# The decision engine alone: p50/p99 per decision over 50 segments and 200
# offers, offer and tag rendering, and heap allocations per call (must be
# 0; the benchmark fails otherwise).

.PHONY: bench-decide

BENCH_DECIDE_CALLS ?= 200000

$(BUILD)/bench/bench_decide: bench/bench_decide.c $(LIBOMNI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) $< $(LIBOMNI) $(LIBS) -o $@

bench-decide: $(BUILD)/bench/bench_decide
	$(BUILD)/bench/bench_decide $(BENCH_DECIDE_CALLS)


# KPI counters: the cost of counting one request (bench/bench_kpi.c)

.PHONY: bench-kpi

$(BUILD)/bench/bench_kpi: bench/bench_kpi.c $(LIBOMNI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) $< $(LIBOMNI) $(LIBS) -lpthread -o $@

bench-kpi: $(BUILD)/bench/bench_kpi
	$(BUILD)/bench/bench_kpi -n 1000000
	$(BUILD)/bench/bench_kpi -n 1000000 -t 2


# The KPI end-to-end tests seed counters with a snapshot file written by
# the core's own counting code.

$(BUILD)/kpi-seed: tests/nginx/kpi_seed.c $(LIBOMNI)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) $< $(LIBOMNI) $(LIBS) -o $@

e2e: $(BUILD)/kpi-seed


# The fault tests hold an LMDB environment's reader slots or writer lock
# with this helper (tests/nginx/test_faults.py).

$(BUILD)/lmdb-hold: tests/nginx/lmdb_hold.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) $< -llmdb -o $@

e2e: $(BUILD)/lmdb-hold


# The dashboard page is embedded in the module as a generated header,
# committed so that building never needs the generator: after editing
# util/dashboard.html, run "make dashboard-html" and commit both.

.PHONY: dashboard-html

dashboard-html:
	./util/gen-dashboard.py


# The profile store: lookup latency, import throughput and bytes per
# profile in process (bench/bench_store.c), then the RSS of nginx workers
# serving from a 1 GB profiles map (bench/bench_store_rss.py).

BENCH_STORE_N ?= 1000000

.PHONY: bench-store

$(BUILD)/bench/bench_store: bench/bench_store.c $(LIBOMNI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) $< $(LIBOMNI) $(LIBS) -o $@

bench-store: $(BUILD)/bench/bench_store $(MODULE) $(OMNICTL)
	$(BUILD)/bench/bench_store $(BENCH_STORE_N)
	python3 bench/bench_store_rss.py --module $(MODULE) \
	    --omnictl $(OMNICTL)
# Tracking core microbenchmark: ns per parse, classification and queue
# append, and merge throughput.

.PHONY: bench-track

$(BUILD)/bench/bench_track: bench/bench_track.c $(LIBOMNI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) $< $(LIBOMNI) $(LIBS) -o $@

bench-track: $(BUILD)/bench/bench_track
	$(BUILD)/bench/bench_track


# Tracking in nginx: events/s ingested with zero loss, and the worker CPU
# a tracked page costs over the same page untracked (wrk, one run), plus
# callgrind's instruction counts of both.

.PHONY: bench-ingest

bench-ingest: all
	python3 bench/bench_ingest.py --module $(MODULE) --omnictl $(OMNICTL) \
	    $(BENCH_INGEST_ARGS)


# The end-to-end suite against the module built with AddressSanitizer and
# UndefinedBehaviorSanitizer, in its own build tree (build/san).  nginx
# itself is Debian's, not instrumented: the ASan runtime of gcc is
# preloaded into it (LD_PRELOAD), and every case fails on any report file
# the runtimes write into its prefix (tests/nginx/omnitest.py,
# OMNI_SANITIZE).  Leak checking is left to valgrind (make valgrind):
# LeakSanitizer would report nginx's own deliberate allocations.

.PHONY: module-san e2e-san valgrind

SAN_BUILD      = $(BUILD)/san
NGX_SAN_CC_OPT = -O1 -g -fsanitize=address,undefined \
                 -fno-sanitize-recover=all -fno-omit-frame-pointer
NGX_SAN_LD_OPT = -fsanitize=address,undefined

module-san:
	$(MAKE) BUILD=$(SAN_BUILD) NGX_CC_OPT="$(NGX_SAN_CC_OPT)" \
	    NGX_LD_OPT="$(NGX_SAN_LD_OPT)" $(SAN_BUILD)/ngx_http_omni_module.so

e2e-san: module-san $(OMNICTL) $(BUILD)/kpi-seed $(BUILD)/lmdb-hold
	OMNI_SANITIZE="$$(gcc -print-file-name=libasan.so)" \
	python3 tests/nginx/run.py --nginx $(NGINX_BIN) \
	    --module $(SAN_BUILD)/ngx_http_omni_module.so \
	    --omnictl $(OMNICTL) $(E2E_ARGS)


# The demo setup (nginx with master_process off, the module, the test
# upstream, some traffic of every kind) under valgrind --leak-check=full:
# fails on any definite or indirect leak, or invalid access, in the
# module.  Slow: not part of make test.

valgrind: all
	./tests/valgrind/run.sh --module $(MODULE) --omnictl $(OMNICTL)


# Microbenchmarks of the core (ns/op), run before the wrk comparison.

BENCH_MICRO      = $(BUILD)/bench/bench_cookie
BENCH_MICRO_CPU ?= 1
BENCH_MICRO_ARGS ?= -q

.PHONY: bench-micro

$(BUILD)/bench/bench_cookie: bench/bench_cookie.c $(LIBOMNI) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) $< $(LIBOMNI) $(LIBS) -o $@

bench-micro: $(BENCH_MICRO)
	@taskset -c $(BENCH_MICRO_CPU) $(BENCH_MICRO) $(BENCH_MICRO_ARGS) \
	    > $(BUILD)/bench/micro.txt; rc=$$?; \
	    cat $(BUILD)/bench/micro.txt; exit $$rc

bench: bench-micro


# The first-response cookie: ns to make and seal one, and to verify and
# read it back (bench/bench_first.c).

.PHONY: bench-first

$(BUILD)/bench/bench_first: bench/bench_first.c $(LIBOMNI)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(OMNI_CFLAGS) $< $(LIBOMNI) $(LIBS) -o $@

bench-first: $(BUILD)/bench/bench_first
	$(BUILD)/bench/bench_first
