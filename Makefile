# parevm top-level driver. `make demo` and `make test` install their own
# dependencies (Debian packages) and build from scratch.
BUILD    ?= build
JOBS     ?= $(shell nproc)
FIXTURES ?= $(abspath ../shared/fixtures)
CMAKE_FLAGS ?=

.PHONY: all deps build test demo bench sanitize sanitize-clang tsan clean fuzz

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPAREVM_WERROR=ON \
	      -DPAREVM_FIXTURES=$(FIXTURES) $(CMAKE_FLAGS) >/dev/null

build: $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

# The npm tools (viem, ethers, solc-js, cast, anvil) of the clients/ tests:
# when they cannot be installed those tests fail (they are not skipped).
NPM_TOOLS = ./scripts/install-deps.sh npm || echo "the npm tools could not be installed: the clients/ tests will fail"

test: deps build
	@$(NPM_TOOLS)
	@cd $(BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 1800

# The main job: a built chain through parevm init + import (every state
# root verified), queries, an unwind and a resumed import; then the real
# mainnet blocks replayed sequentially and with Block-STM, verifying every
# header and printing gas per second.
demo: deps build
	@./scripts/demo-import.sh ./$(BUILD)/parevm
	@printf '\n== mainnet blocks: sequential and Block-STM replay\n'
	@./$(BUILD)/parevm replay --mode both --repeat 3 $(FIXTURES)/mainnet

# Benchmarks (numbers, not pass/fail): the EVM interpreter suite, the
# gigagas blocks (npm fetches the Uniswap contracts), the mainnet set and
# chain import into a store of 1M accounts and 10M slots (erc20 and mixed
# blocks; the datadir goes under $TMPDIR, about 3 GiB).
bench: deps build
	@./scripts/install-deps.sh npm
	@./$(BUILD)/parevm bench evm $(FIXTURES)/evm-benchmarks/benchmarks
	@./$(BUILD)/parevm bench precompiles
	@for k in transfers erc20 uniswap; do ./$(BUILD)/parevm bench gigagas --kind $$k || exit 1; done
	@./$(BUILD)/parevm bench mainnet
	@for k in erc20 mixed; do ./$(BUILD)/parevm bench import --kind $$k || exit 1; done
	@for g in "" --gossip; do ./$(BUILD)/parevm bench engine --kind erc20 $$g || exit 1; done

# AddressSanitizer + UndefinedBehaviorSanitizer over the whole suite.
sanitize: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAREVM_WERROR=ON \
	      -DPAREVM_SANITIZE=address,undefined -DPAREVM_FIXTURES=$(FIXTURES) >/dev/null
	@cmake --build build-asan -j $(JOBS) -- --no-print-directory
	@$(NPM_TOOLS)
	@cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	      ctest -j $(JOBS) --output-on-failure --timeout 3600

# clang's UBSan over the whole suite: it checks what gcc's does not (an
# offset applied to a NULL pointer, misaligned access to over-aligned types).
sanitize-clang: deps
	@./scripts/install-deps.sh clang
	@CC=clang cmake -S . -B build-clang-ubsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAREVM_WERROR=ON \
	      -DPAREVM_SANITIZE=undefined -DPAREVM_FIXTURES=$(FIXTURES) >/dev/null
	@cmake --build build-clang-ubsan -j $(JOBS) -- --no-print-directory
	@$(NPM_TOOLS)
	@cd build-clang-ubsan && UBSAN_OPTIONS=print_stacktrace=1 \
	      ctest -j $(JOBS) --output-on-failure --timeout 3600

# ThreadSanitizer over the parallel engine's tests.
tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAREVM_WERROR=ON \
	      -DPAREVM_SANITIZE=thread -DPAREVM_FIXTURES=$(FIXTURES) >/dev/null
	@cmake --build build-tsan -j $(JOBS) -- --no-print-directory
	@cd build-tsan && ctest -j $(JOBS) --output-on-failure -L parallel

clean:
	rm -rf $(BUILD) build-asan build-tsan build-clang-ubsan

# libFuzzer targets (fuzz/fuzz_*.c) into build-fuzz/.
fuzz: deps
	@./scripts/build-fuzz.sh
