# cloudfilm: a thin wrapper over scripts and CMake. Every target installs
# what is missing first (scripts/install-deps.sh is quick when all is there).
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
PREFIX     ?= /usr/local

.PHONY: all deps build install demo test unit test-asan bench fuzz format clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# bin/cloudfilm (stripped), lib/cloudfilm/cloudfilm-render.so and
# share/cloudfilm/web under PREFIX (DESTDIR for staging a package), found
# there by the binary.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX) --strip

# Starts the server on loopback with SQLite and a local folder, loads demo studies, prints the URLs.
demo: build
	@bash scripts/demo.sh $(BUILD)/apps/cloudfilm/cloudfilm

# Every test: unit, integration (real binary, DCMTK tools, Orthanc).
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2 --timeout 900

# Only the fast tier.
unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

$(BUILD_ASAN)/build.ninja: | deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCF_SANITIZE=ON -DCF_BUILD_BENCH=OFF $(CMAKE_ARGS)

# use_sigaltstack=0: GCC 12's ASan reports its own sigaltstack at the exit
# of threads that DCMTK and Beast start (stack-buffer-underflow in
# AsanThread::Destroy), a false alarm that ended 28 unit tests.
test-asan: deps $(BUILD_ASAN)/build.ninja
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:use_sigaltstack=0 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j 2 --timeout 1800

# Side-by-side benchmarks against Orthanc (see bench/README.md).
bench: build
	@bash bench/run.sh $(BUILD)/apps/cloudfilm/cloudfilm

# libFuzzer, FUZZ_TIME seconds per target: the STOW-RS multipart parser,
# the search path (query string -> catalog::Query -> SQLite), and raw HTTP
# requests through Beast, the router with every route, authentication and
# the audit trail (tests/fuzz/http_request_harness.hpp), and uploaded DICOM
# objects and stored forms through every reader of received objects, with
# the stored form's bit-exact rebuild checked (dicom_object_harness.hpp).
# Built with clang (19: clang 14 lacks std::expected with libstdc++ 12):
# the first two directly, the others through CMake (-DCF_BUILD_FUZZERS=ON)
# in $(BUILD_FUZZ). The corpus grows in $(BUILD_FUZZ)/corpus; seeds are in
# fuzz/corpus and tests/fuzz/corpus. A crash leaves its input in
# $(BUILD_FUZZ)/artifacts: fix it, and keep the input in
# tests/fuzz/regressions/<target>/ so that `make test` replays it.
BUILD_FUZZ ?= build-fuzz
FUZZ_CC    ?= clang-19
FUZZ_CXX   ?= clang++-19
FUZZ_TIME  ?= 60
FUZZ_FLAGS ?=
$(BUILD_FUZZ)/build.ninja: | deps
	@command -v $(FUZZ_CXX) >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang-19 libclang-rt-19-dev
	cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=$(FUZZ_CC) -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
	  -DCF_BUILD_FUZZERS=ON -DCF_BUILD_TESTS=OFF -DCF_BUILD_BENCH=OFF $(CMAKE_ARGS)

fuzz: deps $(BUILD_FUZZ)/build.ninja
	@mkdir -p $(BUILD_FUZZ)/corpus/multipart $(BUILD_FUZZ)/corpus/qido \
	  $(BUILD_FUZZ)/corpus/http_request $(BUILD_FUZZ)/corpus/dicom_object $(BUILD_FUZZ)/artifacts
	$(FUZZ_CXX) -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -Wall -Wextra -Isrc fuzz/multipart_fuzz.cpp src/http/multipart.cpp -o $(BUILD_FUZZ)/multipart_fuzz
	$(BUILD_FUZZ)/multipart_fuzz -max_total_time=$(FUZZ_TIME) -max_len=65536 \
	  -artifact_prefix=$(BUILD_FUZZ)/artifacts/ $(FUZZ_FLAGS) \
	  $(BUILD_FUZZ)/corpus/multipart fuzz/corpus/multipart
	$(FUZZ_CXX) -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	  -Wall -Wextra -Isrc fuzz/qido_fuzz.cpp src/http/query_params.cpp src/catalog/query.cpp \
	  src/catalog/sqlite_*.cpp src/core/error.cpp src/core/log.cpp -lsqlite3 -lspdlog -lfmt \
	  -o $(BUILD_FUZZ)/qido_fuzz
	$(BUILD_FUZZ)/qido_fuzz -max_total_time=$(FUZZ_TIME) -max_len=1024 \
	  -artifact_prefix=$(BUILD_FUZZ)/artifacts/ $(FUZZ_FLAGS) \
	  $(BUILD_FUZZ)/corpus/qido fuzz/corpus/qido
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target http_request_fuzz
	$(BUILD_FUZZ)/tests/fuzz/http_request_fuzz -max_total_time=$(FUZZ_TIME) -max_len=16384 \
	  -timeout=20 -rss_limit_mb=4096 -dict=tests/fuzz/http_request.dict \
	  -artifact_prefix=$(BUILD_FUZZ)/artifacts/ $(FUZZ_FLAGS) \
	  $(BUILD_FUZZ)/corpus/http_request tests/fuzz/corpus/http_request
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target dicom_object_fuzz
	$(BUILD_FUZZ)/tests/fuzz/dicom_object_fuzz -max_total_time=$(FUZZ_TIME) -max_len=65536 \
	  -timeout=20 -rss_limit_mb=4096 -dict=tests/fuzz/dicom_object.dict \
	  -artifact_prefix=$(BUILD_FUZZ)/artifacts/ $(FUZZ_FLAGS) \
	  $(BUILD_FUZZ)/corpus/dicom_object tests/fuzz/corpus/dicom_object \
	  $(wildcard ../shared/testdata)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
