# The two commands a newcomer needs: `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test unit integration bench format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Throwaway local registries, a generated multi-arch image, a mirror, a no-op re-run.
demo: build
	@scripts/demo.sh $(BUILD)/ecr-mirror

# Unit tests (Catch2) and the integration suites against real registries, all through ctest.
test: build
	scripts/lint-workflows.sh
	cd $(BUILD) && ctest --output-on-failure -j 2

unit: build
	cd $(BUILD) && ctest --output-on-failure -LE integration

bench: build
	@bench/run.sh $(BUILD)/ecr-mirror

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)
