# neptun - the two commands a new machine needs:
#   make run    install what is missing, build, serve on http://127.0.0.1:8080
#   make test   install what is missing, build, run every test (normal build,
#               then AddressSanitizer + UndefinedBehaviorSanitizer build)

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CONF       ?= conf/neptun.conf

BUILD_DEPS = build-essential cmake pkg-config libevent-dev liblua5.4-dev libxml2-dev \
             libsqlite3-dev libicu-dev zlib1g-dev libssl-dev
TEST_DEPS  = libxml2-utils python3 python3-feedparser python3-icalendar sqlite3 curl php-cli php-xml newsboat \
             clang libclang-rt-14-dev
BENCH_DEPS = wrk nginx-light lighttpd apache2   # mod_lua ships in apache2-bin

.PHONY: all build run test deps-graph test-fast test-tsan deps test-deps bench-deps bench bench-peers bench-scale install clean fuzz

all: build

deps:
	@tools/install-deps.sh $(BUILD_DEPS)

test-deps:
	@tools/install-deps.sh $(BUILD_DEPS) $(TEST_DEPS)

bench-deps:
	@tools/install-deps.sh $(BUILD_DEPS) $(BENCH_DEPS)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

run: build
	@mkdir -p var
	$(BUILD)/neptun serve -c $(CONF)

# The whole suite twice: a normal build, then under ASan + UBSan.
test: test-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DNEPTUN_SANITIZE=address,undefined
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    ctest --output-on-failure -j$(JOBS) --timeout 900
	@tests/fuzz/run.sh

# The suite under ThreadSanitizer (not part of make test: it finds what
# the workers share, and takes a few minutes more).
TSAN_BUILD ?= build-tsan
test-tsan: test-deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEPTUN_SANITIZE=thread
	cmake --build $(TSAN_BUILD) -j$(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 exitcode=66 suppressions=$(CURDIR)/tests/tsan.supp" \
	    ctest --output-on-failure -j$(JOBS) --timeout 900

# The module graph of the core, lowest first (the order a request meets the
# modules, read bottom-up), checked for circles and private headers.
deps-graph: build
	@/usr/bin/python3 tools/depgraph.py --build $(BUILD) --graph

# Only the normal build's suite, for a quick loop while developing.
test-fast: test-deps build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

fuzz: test-deps
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} tests/fuzz/run.sh

# Every target of the performance work: the peers (bench/run.sh, about
# 5 minutes), the scale runs (bench/scale.sh: 100k and 1M item stores,
# generated once into /tmp/neptun-scale - about 13 minutes the first time -
# then 10k idle connections and a 5-minute soak), then one table of each
# target, its figure and whether it is met (bench/targets.py).
bench: bench-deps build
	@results=$$(mktemp /tmp/neptun-bench-results.XXXXXX) && \
	RESULTS_OUT=$$results BUILD=$(BUILD) bench/run.sh && \
	RESULTS_OUT=$$results BUILD=$(BUILD) bench/scale.sh && \
	/usr/bin/python3 bench/targets.py $$results; rc=$$?; rm -f $$results; exit $$rc

# The peers alone (bench/run.sh).
bench-peers: bench-deps build
	BUILD=$(BUILD) bench/run.sh

# The scale runs alone; QUICK=1 for a 30 s memory soak instead of 5 minutes.
bench-scale: bench-deps build
	BUILD=$(BUILD) bench/scale.sh

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
