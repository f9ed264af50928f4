# populus: the two set-up commands are `make demo` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh).

JOBS ?= $(shell nproc)
POPULUS := build/release/populus

.PHONY: all deps build demo test bench format format-check clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOPULUS_BUILD_TESTS=OFF >/dev/null
	@cmake --build build/release -j $(JOBS)

# Ingests the embedded example extract (a small fictional ICS, with a few bad
# rows to quarantine), then simulates the default synthetic ICS
# (data/ics/dorset-like.toml), ingests that too and analyses it.
demo: build
	@rm -rf demo-data demo-synthetic-ics demo-synthetic-data demo-analysis
	$(POPULUS) ingest data/examples/mini-ics --into demo-data --demo --extract-date 2019-06-30
	$(POPULUS) info demo-data
	@echo
	$(POPULUS) generate --out demo-synthetic-ics
	$(POPULUS) ingest demo-synthetic-ics --into demo-synthetic-data --demo --extract-date 2019-06-30
	$(POPULUS) info demo-synthetic-data
	$(POPULUS) analyse demo-synthetic-data --out demo-analysis
	@echo
	@echo "Example snapshot: demo-data/ (quarantined rows: demo-data/versions/v000001/quarantine.csv)."
	@echo "Synthetic ICS: extract and calibration.csv in demo-synthetic-ics/, snapshot in demo-synthetic-data/,"
	@echo "its analysis (registers, frailty, segments, risk, indicators, worklists) in demo-analysis/:"
	@echo "open demo-analysis/report.html in a browser."
	@echo "Next: '$(POPULUS) --help', docs/extract-format.md, docs/ingest.md, docs/simulation.md, docs/analysis.md."

# The whole suite, built with warnings as errors and AddressSanitizer and
# UndefinedBehaviorSanitizer on.
test: deps
	@cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DPOPULUS_WERROR=ON -DPOPULUS_SANITIZE=ON -DPOPULUS_BUILD_BENCH=OFF >/dev/null
	@cmake --build build/test -j $(JOBS)
	@cd build/test && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash bench/run-ingest-bench.sh
	@bash bench/run-generate-bench.sh
	@bash bench/run-analyse-bench.sh
	@bash bench/run-fhir-bench.sh

format: deps
	@clang-format-14 -i $$(git ls-files '*.h' '*.cc')

# Fails, naming the files, when any source file is not as .clang-format lays it out.
format-check: deps
	@clang-format-14 --dry-run --Werror $$(git ls-files '*.h' '*.cc')

clean:
	@rm -rf build demo-data demo-synthetic-ics demo-synthetic-data demo-analysis
