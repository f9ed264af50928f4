# populus: the two set-up commands are `make demo` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh).

JOBS ?= $(shell nproc)
POPULUS := build/release/populus

.PHONY: all deps build demo test bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOPULUS_BUILD_TESTS=OFF >/dev/null
	@cmake --build build/release -j $(JOBS)

# Ingests the embedded example extract (a small fictional ICS) and describes
# the snapshot it makes.
demo: build
	@rm -rf demo-data
	$(POPULUS) ingest data/examples/mini-ics --into demo-data --demo --extract-date 2019-06-30
	$(POPULUS) info demo-data
	@echo
	@echo "Snapshot in demo-data/ (quarantined rows: demo-data/versions/v000001/quarantine.csv)."
	@echo "Next: '$(POPULUS) --help', docs/extract-format.md, docs/ingest.md."

# The whole suite, built with warnings as errors and AddressSanitizer and
# UndefinedBehaviorSanitizer on.
test: deps
	@cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DPOPULUS_WERROR=ON -DPOPULUS_SANITIZE=ON -DPOPULUS_BUILD_BENCH=OFF >/dev/null
	@cmake --build build/test -j $(JOBS)
	@cd build/test && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash bench/run-ingest-bench.sh

format:
	@clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	@rm -rf build demo-data
