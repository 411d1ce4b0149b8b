# rthv: one-command set-up on a fresh Debian 12 machine.
#
#   make run    install what is missing, build the guests, run the main demo
#   make test   the same set-up, then the whole test suite (pytest, mypy --strict, ruff, layers)
#   make bench  the speed and paper benchmarks (JSON + docs/BENCHMARKS.md)
#   make fuzz   property-based fuzzing at scale (counts in docs/bench/fuzz.json; hours)
#   make soak   10 virtual seconds of examples/soak.toml, memory and queue sampled

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := .stamps
# Every program that src/ or tests/ start comes from one of these (tests/test_host_deps.py).
DEBIAN_PACKAGES := gcc-arm-none-eabi qemu-system-arm u-boot-qemu sloccount device-tree-compiler \
                   python3-venv python3-dev gcc make apt cpio gdb-multiarch cmake patch
# The CPU engine: Unicorn 2.1.4 built from its source release with rthv's changes (engine/).
ENGINE := engine/build-wheel.sh engine/unicorn-code-pages.patch engine/unicorn-inline-counter.patch \
	engine/unicorn-short-block.patch
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup debian guests bench fuzz soak lint clean

run: setup
	$(BIN)/rthv run examples/two-rtos.toml --until 600ms

test: setup lint
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/mypy
	$(BIN)/ruff check src tests examples/tests compiled
	$(BIN)/ruff format --check src tests examples/tests compiled
	$(BIN)/lint-imports

bench: setup
	$(BIN)/rthv bench --paper --speed

# 10 s of virtual time of examples/soak.toml (two RTOS VMs and a chatty one): memory and
# event-queue length sampled every virtual second (docs/bench/soak.json).
soak: setup
	$(BIN)/python -m rthv.tools.soak examples/soak.toml --seconds 10 --json docs/bench/soak.json

# Property-based fuzzing at scale: 1,000 boots x 100 random hypercalls, the same for GICD
# accesses and for device accesses of any width and alignment, then 100,000 invalid and 100,000 valid configurations, in ten runs of 10,000 each
# with the seeds 1 to 10 (a run's memory grows by about 100 KB per case, Hypothesis's record
# of what it ran: one run of 100,000 would hold gigabytes). Counts of the cases tried are
# added to docs/bench/fuzz.json as they run (long: run it when you can let it go).
FUZZ_RECORD := docs/bench/fuzz.json
FUZZ_SEEDS  := 1 2 3 4 5 6 7 8 9 10
fuzz: setup
	rm -f $(FUZZ_RECORD)
	RTHV_FUZZ_EXAMPLES=1000 RTHV_FUZZ_MIN_PER_RUN=100 RTHV_FUZZ_PER_RUN=100 \
	  RTHV_FUZZ_RECORD=$(FUZZ_RECORD) $(BIN)/python -m pytest -q tests/test_properties.py \
	  -k "hypercalls or gicd or any_width"
	for property in invalid_configurations valid_configurations_boot; do \
	  for seed in $(FUZZ_SEEDS); do \
	    RTHV_FUZZ_EXAMPLES=10000 RTHV_FUZZ_RECORD=$(FUZZ_RECORD) $(BIN)/python -m pytest -q \
	      -p no:cacheprovider --hypothesis-seed=$$seed tests/test_properties.py -k $$property \
	      || exit 1; \
	  done; \
	done

# Bytecode for rthv's own modules, as pip writes for a regular install (an editable one has none,
# and Python writes none under PYTHONDONTWRITEBYTECODE): else every command compiles them anew.
setup: debian $(STAMPS)/venv $(STAMPS)/compiled guests
	@$(BIN)/python -m compileall -q src

# Checked on every run (dpkg is quick), so a package removed or newly listed is installed again.
debian:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# The C extensions' sources: a change rebuilds them (pip install -e).
NATIVE := $(wildcard src/rthv/board/_icount*.c) src/rthv/board/_icount.h \
	src/rthv/board/_timed_sites.c \
	$(wildcard src/rthv/board/_engine_calls*.c) src/rthv/board/_engine_calls.h \
	src/rthv/board/_unicorn_api.h

$(STAMPS)/venv: pyproject.toml $(NATIVE) $(ENGINE) | debian
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	engine/build-wheel.sh $(BIN)/pip > $(VENV)/engine-wheel
	$(BIN)/pip install -q --force-reinstall --no-deps "$$(cat $(VENV)/engine-wheel)"
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -c "from rthv.board.counter import native_available as n; assert n(), 'native counter not built'"
	$(BIN)/python -c "from rthv.board.timed_sites import sites_available as n; assert n(), 'native timed sites not built'"
	@mkdir -p $(STAMPS) && touch $@

# The trap path's modules compiled to C with mypyc (compiled/modules.txt), beside their sources;
# compiled again when one of them changes. Until then rthv runs their Python source
# (rthv.compiled_modules checks at import), with the same results, only slower.
COMPILED := $(addprefix src/,$(shell sed -e 's/\#.*//' compiled/modules.txt))
$(STAMPS)/compiled: $(STAMPS)/venv compiled/build.py compiled/modules.txt \
		src/rthv/compiled_modules.py $(COMPILED)
	$(BIN)/python compiled/build.py
	@touch $@

guests: debian
	$(MAKE) -s -C guests

clean:
	rm -rf $(STAMPS) $(VENV) build src/*.egg-info src/rthv/compiled_modules.json
	find src -name '*.so' -delete
	$(MAKE) -s -C guests clean
