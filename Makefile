# The two commands of the README, and the few others CI and developers use.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
BUILD_TSAN ?= build-tsan
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: demo test build release deps asan-test tsan-test fuzz-smoke bench clean

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build release: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: release
	@scripts/demo.sh $(BUILD)/x0tta6bl4

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

asan-test: deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DX0_SANITIZE=ON -DX0_BENCH=OFF
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS) --timeout 600 -LE "ct|long"

# ThreadSanitizer on the unit and integration tests. halt_on_error: the first race kills the
# process, so a unit test fails and the harness fails the integration test whose node or origin
# printed the report (nodes inherit TSAN_OPTIONS from ctest's environment). tests/tsan.supp
# holds the suppressions, for third-party code only.
X0_TSAN_OPTIONS ?= halt_on_error=1 second_deadlock_stack=1 history_size=4 suppressions=$(CURDIR)/tests/tsan.supp
tsan-test: deps
	cmake -S . -B $(BUILD_TSAN) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DX0_TSAN=ON -DX0_BENCH=OFF
	cmake --build $(BUILD_TSAN) -j $(JOBS)
	cd $(BUILD_TSAN) && TSAN_OPTIONS="$(X0_TSAN_OPTIONS)" ctest --output-on-failure -j $(JOBS) --timeout 600 -LE "ct|long"

fuzz-smoke: deps
	CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DX0_FUZZ=ON -DX0_BENCH=OFF
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzzers
	scripts/fuzz-smoke.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

bench: release
	scripts/install-deps.sh --bench
	bench/proxy.sh

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_FUZZ)
