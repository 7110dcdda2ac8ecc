# mobid — the two commands a newcomer needs:
#   make check   install missing dependencies, build, run every test (normal + ASan/UBSan),
#                compile Release (gcc -O3) and clang builds,
#                replay the fuzz corpora and fuzz each parser briefly
#   make run     set up, build and run mobid's main job
# Everything else is plain CMake in build/ (normal), build-asan/ and build-fuzz/.

SHELL := /bin/bash
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 30
BUILD_TYPE ?= RelWithDebInfo
# No test is run twice: a test that fails under load counts as failed, and its waits
# are made deterministic (readiness, not sleeps) instead.
CTEST_FLAGS ?= --output-on-failure -j$(JOBS)

.PHONY: all deps build build-asan build-release build-clang check test test-asan fuzz fuzz-smoke run install clean bench

all: build

deps:
	@scripts/deps

build/CMakeCache.txt:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps build/CMakeCache.txt
	cmake --build build -j$(JOBS)

build-asan/CMakeCache.txt:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMOBID_SANITIZE=ON

build-asan: deps build-asan/CMakeCache.txt
	cmake --build build-asan -j$(JOBS)

# Compile-only builds that catch what the others miss: gcc at -O3 (format-truncation and
# other warnings that need the optimiser) and clang; warnings are errors in both.
build-release/CMakeCache.txt:
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release

build-release: deps build-release/CMakeCache.txt
	cmake --build build-release -j$(JOBS)

build-clang/CMakeCache.txt:
	CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo

build-clang: deps build-clang/CMakeCache.txt
	cmake --build build-clang -j$(JOBS)

test: build
	ctest --test-dir build $(CTEST_FLAGS)

test-asan: build-asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build-asan $(CTEST_FLAGS)

build-fuzz/CMakeCache.txt:
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DMOBID_FUZZ=ON -DMOBID_TESTS=ON \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"

fuzz-build: deps build-fuzz/CMakeCache.txt
	targets=$$(cd fuzz && ls fuzz_*.c 2>/dev/null | sed 's/\.c$$//'); \
	  if [ -n "$$targets" ]; then cmake --build build-fuzz -j$(JOBS) --target $$targets; fi

# Run every libFuzzer target for FUZZ_SECONDS on a copy of its seed corpus.
fuzz: fuzz-build
	@set -e; for src in $$(ls fuzz/fuzz_*.c 2>/dev/null); do \
	  t=$$(basename $$src .c); p=$${t#fuzz_}; \
	  mkdir -p build-fuzz/corpus/$$p; \
	  echo "== $$t for $(FUZZ_SECONDS) s"; \
	  if ! build-fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	    -artifact_prefix=build-fuzz/ -print_final_stats=1 \
	    build-fuzz/corpus/$$p fuzz/corpus/$$p > build-fuzz/$$t.log 2>&1; then \
	    tail -n 40 build-fuzz/$$t.log; echo "$$t found a crash"; exit 1; fi; \
	  grep -E '^(#|stat::number_of_executed_units|Done)' build-fuzz/$$t.log | tail -n 2; \
	done

check: build-release build-clang test test-asan fuzz
	@echo "make check: all tests passed (normal and ASan/UBSan builds), Release and clang builds compiled, fuzzers ran $(FUZZ_SECONDS) s each"

bench: build
	build/mobid bench ecdsa --json

run: build
	@scripts/run $(if $(PORT_BASE),--port-base $(PORT_BASE))

install: build
	cmake --install build

clean:
	rm -rf build build-asan build-fuzz build-release build-clang
