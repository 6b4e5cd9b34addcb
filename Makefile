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

# The README's test command (and CI's): lint the workflows, then every test — Catch2 unit tests,
# the integration suites against real registries, the container action, the fuzz smoke runs —
# against an ASan+UBSan build of everything, so a memory error or undefined behaviour anywhere in
# a scenario fails the run.
test: deps
	scripts/lint-workflows.sh
	cmake -S . -B $(BUILD)/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECRM_SANITIZE=ON -DECRM_UNITY=ON
	cmake --build $(BUILD)/asan -j $(JOBS)
	cd $(BUILD)/asan && ctest --output-on-failure -j 2

unit: build
	cd $(BUILD) && ctest --output-on-failure -LE integration

bench: build
	@bench/run.sh $(BUILD)/ecr-mirror

# Many images in one run (--config) against skopeo sync.
bench-many: build
	@bench/many.sh $(BUILD)/ecr-mirror

# The container start a job waits for: a cold Dockerfile build and the image's own size.
bench-image:
	@bench/image.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)

# libFuzzer targets (clang + libclang-rt-14-dev), built in $(BUILD)/fuzz: replays
# fuzz/regressions/, then fuzzes each target for FUZZ_SECONDS (e.g. `make fuzz FUZZ_SECONDS=600`).
FUZZ_SECONDS ?= 60
.PHONY: fuzz test-plain sanitize-thread bench-image bench-many
fuzz: deps
	fuzz/run.sh --build $(BUILD)/fuzz --seconds $(FUZZ_SECONDS)

# The same suite against the plain (uninstrumented) build.
test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j 2

# ThreadSanitizer: the unit tests and the suites whose copies run concurrently (token refresh,
# cancellation and timeouts included). A race makes ecr-mirror exit 66, which no suite expects.
TSAN_SUITES = mirror_(plain|basic|token|partial|filter|nested|moving_tag)|cancel|timeouts|tls|aws_.*|ecr_behaviour|iam_least_privilege|referrers|many_images
sanitize-thread: deps
	cmake -S . -B $(BUILD)/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DECRM_TSAN=ON
	cmake --build $(BUILD)/tsan -j $(JOBS)
	cd $(BUILD)/tsan && ctest --output-on-failure -j 2 -LE integration
	cd $(BUILD)/tsan && ctest --output-on-failure -j 2 -R '^integration\.($(TSAN_SUITES))$$'
