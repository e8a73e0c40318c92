# SPDX-License-Identifier: Apache-2.0
# The README's two commands. Everything builds into build/ with CMake.
#   make demo   install what is missing, build, run examples/app (metrics on :8000)
#   make test   install what is missing, build, run every test (ctest)
# Also: make build, make asan, make tsan, make bench, make install PREFIX=...,
#   make fuzz FUZZ_TIME=60 (each libFuzzer target for FUZZ_TIME seconds; clang)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
CMAKE_FLAGS ?=
PREFIX ?= /usr/local

.PHONY: all build deps-build deps-test deps-demo test test-default test-asan test-tsan asan tsan demo bench fuzz install abi-baseline clean

all: build

deps-build:
	@sh scripts/deps.sh build
deps-demo:
	@sh scripts/deps.sh demo
deps-test:
	@sh scripts/deps.sh test

build: deps-build
	cmake -S . -B $(BUILD) -DPROMC_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

asan: deps-test
	cmake -S . -B build-asan -DPROMC_WERROR=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  -DPROMC_BUILD_BENCH=OFF
	cmake --build build-asan -j $(JOBS)

tsan: deps-test
	cmake -S . -B build-tsan -DPROMC_WERROR=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" -DPROMC_BUILD_BENCH=OFF
	cmake --build build-tsan -j $(JOBS)

# make test: clang with ASan+UBSan runs the unit and stress tests, clang with
# ThreadSanitizer the stress tests; then the plain build (gcc) runs every test,
# last, so that its ctest summary closes the output.
test: deps-test
	$(MAKE) --no-print-directory test-asan test-tsan
	$(MAKE) --no-print-directory build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

test-asan: asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -L 'unit|stress' --timeout 900

test-tsan: tsan
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -L stress --timeout 900

# make fuzz: the libFuzzer binaries (library instrumented for coverage, ASan and
# UBSan), each run for FUZZ_TIME seconds over a copy of its corpus in build-fuzz/.
FUZZ_TIME ?= 60
FUZZ_TARGETS ?= labels negotiate query render collector exemplar
fuzz: deps-test
	cmake -S . -B build-fuzz -DPROMC_WERROR=ON -DCMAKE_C_COMPILER=clang -DPROMC_FUZZ=ON \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPROMC_BUILD_BENCH=OFF -DPROMC_BUILD_EXAMPLES=OFF \
	  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	cmake --build build-fuzz -j $(JOBS) $(foreach t,$(FUZZ_TARGETS),--target fuzz_$(t))
	sh fuzz/run.sh build-fuzz $(FUZZ_TIME) $(FUZZ_TARGETS)

demo: deps-demo build
	sh scripts/demo.sh $(BUILD)

bench: build
	sh bench/run.sh $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# Records the ABI of the libraries just built as the new baseline (abi/*.abi,
# debian/*.symbols); see docs/packaging.md for when that is allowed.
abi-baseline: build
	cmake --build $(BUILD) --target abi-baseline

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
