# hardened.flopsar: every target installs what it needs on a fresh Debian 12 machine.
#
#   make test                  everything: lint, build, unit, sanity, every Molecule scenario
#   make lint | unit | sanity | build
#   make molecule SCENARIO=x   one scenario (all when SCENARIO is empty)
#   make demo                  the collection's main job on the built-in lab
#   make bench                 benchmarks/ (docs/performance.md); BENCH_SMOKE=1 for the smoke run,
#                              BENCH_PLAYBOOK=path for another playbook under test
#   make clean                 forget the cached virtualenv and lab image

FLOPSAR_CACHE ?= /var/tmp/hardened-flopsar
export FLOPSAR_CACHE
VENV := $(FLOPSAR_CACHE)/venv
RUN := $(VENV)/bin/python tests/run.py
SCENARIO ?=

.PHONY: test lint unit sanity build molecule demo bench venv sanity-venv host image clean

test: host venv sanity-venv image
	$(RUN) all

lint: venv
	$(RUN) lint

unit: venv
	$(RUN) unit

sanity: venv sanity-venv
	$(RUN) sanity

build: venv
	$(RUN) build

molecule: host venv image
	$(RUN) molecule $(addprefix --scenario ,$(SCENARIO))

demo: host venv image
	$(VENV)/bin/python tests/demo.py

bench: host venv image
	$(VENV)/bin/python benchmarks/run.py $(if $(filter-out 0,$(BENCH_SMOKE)),--smoke)

host:
	tests/lab/bootstrap.sh host

venv:
	tests/lab/bootstrap.sh venv

sanity-venv:
	tests/lab/bootstrap.sh sanity-venv

image:
	tests/lab/bootstrap.sh image

clean:
	-podman ps -aq --filter label=owner=molecule | xargs -r podman rm -f
	-podman images --format '{{.Repository}}:{{.Tag}}' | grep '^localhost/hardened-flopsar-lab:' | xargs -r podman rmi -f
	rm -rf $(FLOPSAR_CACHE)
