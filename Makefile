# loupe — the two commands a newcomer needs:
#   make demo   install dependencies, build, start loupe on embedded defaults with demo data
#   make test   install dependencies, build, run every test (unit, integration, end-to-end)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
  CMAKE_FLAGS += -DLOUPE_WERROR=ON
endif

.PHONY: all setup configure build test demo lint format clean bench

all: build

setup:
	bash scripts/setup.sh

configure:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Tests first, then lint; fails if either fails.
test: setup
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 1200
	$(MAKE) lint

demo: setup
	$(MAKE) build
	bash scripts/demo.sh $(BUILD)

bench: setup build
	bash scripts/bench.sh $(BUILD)

lint:
	bash scripts/lint.sh $(BUILD)

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
