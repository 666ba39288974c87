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

# libFuzzer, FUZZ_TIME seconds per target, each with ASan and UBSan:
# - multipart: the STOW-RS multipart reader and media type parser;
# - qido: the search path (query string -> catalog::Query -> SQLite);
# - qr_identifier: C-FIND, C-MOVE and C-GET identifiers through the DIMSE
#   parser, the search and the response identifiers;
# - http_request: raw HTTP requests through Beast, the router with every
#   route, authentication and the audit trail;
# - dicom_object: uploaded DICOM objects and stored forms through every
#   reader of received objects, the stored form's bit-exact rebuild checked;
# - package_verify: film packages as a forger rewrites them, through the
#   code of `cloudfilm verify`: only the seed packages may verify;
# - import_media: CDs and ZIPs from another hospital through `cloudfilm
#   import`: every object counted, named inside the media, reasons given.
# The search fuzzers also check that no answer crosses hospitals (tenants).
# What each checks is at the top of its file in tests/fuzz/. Built with
# clang (19: clang 14 lacks std::expected with libstdc++ 12) through CMake
# (-DCF_BUILD_FUZZERS=ON) in $(BUILD_FUZZ). The corpus grows in
# $(BUILD_FUZZ)/corpus; seeds are in tests/fuzz/corpus. A crash leaves its
# input in $(BUILD_FUZZ)/artifacts: fix it, and keep the input in
# tests/fuzz/regressions/<target>/ so that `make test` replays it.
BUILD_FUZZ ?= build-fuzz
FUZZ_CC    ?= clang-19
FUZZ_CXX   ?= clang++-19
FUZZ_TIME  ?= 60
FUZZ_FLAGS ?=
FUZZ_TARGETS = multipart qido qr_identifier http_request dicom_object package_verify import_media
FUZZ_ARGS_multipart     = -max_len=65536
FUZZ_ARGS_qido          = -max_len=1024
FUZZ_ARGS_qr_identifier = -max_len=4096
FUZZ_ARGS_http_request  = -max_len=16384 -dict=tests/fuzz/http_request.dict
FUZZ_ARGS_dicom_object  = -max_len=65536 -dict=tests/fuzz/dicom_object.dict
FUZZ_ARGS_package_verify = -max_len=65536
FUZZ_ARGS_import_media   = -max_len=65536
FUZZ_SEEDS_dicom_object = $(wildcard ../shared/testdata)
$(BUILD_FUZZ)/build.ninja: | deps
	@command -v $(FUZZ_CXX) >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang-19 libclang-rt-19-dev
	cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=$(FUZZ_CC) -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) \
	  -DCF_BUILD_FUZZERS=ON -DCF_BUILD_TESTS=OFF -DCF_BUILD_BENCH=OFF $(CMAKE_ARGS)

fuzz: deps $(BUILD_FUZZ)/build.ninja
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target $(addsuffix _fuzz,$(FUZZ_TARGETS))
	@mkdir -p $(BUILD_FUZZ)/artifacts $(addprefix $(BUILD_FUZZ)/corpus/,$(FUZZ_TARGETS))
	$(foreach t,$(FUZZ_TARGETS),$(BUILD_FUZZ)/tests/fuzz/$(t)_fuzz -max_total_time=$(FUZZ_TIME) \
	  -timeout=20 -rss_limit_mb=4096 -artifact_prefix=$(BUILD_FUZZ)/artifacts/ $(FUZZ_ARGS_$(t)) \
	  $(FUZZ_FLAGS) $(BUILD_FUZZ)/corpus/$(t) tests/fuzz/corpus/$(t) $(FUZZ_SEEDS_$(t)) &&) true

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
