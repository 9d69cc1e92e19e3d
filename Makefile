# Thin front of CMake/CTest. `make demo` and `make test` install missing Debian packages first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
CMAKE_ARGS ?=
ifeq ($(MC_WERROR),1)
CMAKE_ARGS += -DMC_WERROR=ON
endif

.PHONY: all deps build test test-asan demo bench bench-scale install clean fuzz

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The same tests under AddressSanitizer + UBSan (CI runs both).
test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMC_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)

# libFuzzer harnesses of tests/fuzz (clang; library and harnesses with ASan + UBSan) in their own build
# folder, each run FUZZ_SECONDS on its seed corpus; any finding fails (tests/fuzz/run.sh says more).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMC_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS) --target fuzzers
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

demo: build
	./$(BUILD)/musiclust demo -o demo-results

# bin/musiclust, lib/libmusiclust.so.0 (+ .a, musiclust.pc), include/musiclust/, man pages and bash
# completion under $(PREFIX) (DESTDIR=... stages it, as for a package).
install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# Issue 11: seconds and peak RSS per stage at N = 2,000, 20,000 and 200,000 segments, np 1 vs np 2
# (not in CI; hours at 200,000 on a small machine). SCALE_N="2000 20000" for fewer sizes.
SCALE_N ?= 2000 20000 200000
bench-scale: build
	bench/scale.sh $(BUILD) $(SCALE_N)
