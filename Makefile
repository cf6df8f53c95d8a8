# The two set-up commands of the README, plus the steps they are made of.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: setup configure build run test bench clean

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

clean:
	rm -rf $(BUILD_DIR)
