# Fidele: `make demo` and `make check` are the whole set-up on a fresh Debian 12 machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DEMO_DB    ?= demo.db
CMAKE_FLAGS ?=

.PHONY: all bootstrap build asan check test demo bench fuzz format format-check lint clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

asan: bootstrap
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFIDELE_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# The whole suite twice: an optimised build, then under AddressSanitizer + UBSan.
check: lint format-check build asan
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

demo: build
	@scripts/demo $(BUILD)/fidele $(DEMO_DB)

bench: build
	@scripts/bootstrap bench
	@bench/run $(BUILD)

fuzz:
	@scripts/fuzz

# Sources git tracks and those not yet added (but not ignored): a new file is formatted and checked
# before its first commit, not only once a clean clone holds it.
SOURCE_FILES = $$(git ls-files --cached --others --exclude-standard '*.c' '*.h' '*.cc')

format:
	@clang-format -i $(SOURCE_FILES)

format-check: bootstrap
	@clang-format --dry-run --Werror $(SOURCE_FILES)

lint:
	@scripts/check-banned

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
