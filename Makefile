# The two set-up commands of the README, plus the steps they are made of.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: setup configure build run test bench fuzz clean

setup:
	@bash scripts/setup.sh

configure: setup
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job on the bundled default: builds only what it runs, quietly (log in $(BUILD_DIR)/make-run.log).
run:
	@bash scripts/quiet-build.sh $(BUILD_DIR) phalanx
	@bash scripts/run-default.sh $(BUILD_DIR)

# Every test; ends with ctest's summary.
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

bench: build
	@bash scripts/run-bench.sh $(BUILD_DIR)

# libFuzzer harnesses (fuzz/) in their own build directory, built with clang + ASan + UBSan, each run
# for FUZZ_SECONDS; one summary line per harness, exit 1 on any crash (scripts/fuzz.sh).
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz:
	@bash scripts/setup-fuzz.sh
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=Release -DPHALANX_FUZZ=ON \
	  -DPHALANX_BUILD_TESTS=OFF -DPHALANX_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_DIR) --target fuzzers -j $(JOBS)
	@bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR)
