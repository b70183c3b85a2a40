# Front end for the two README commands; the work lives in scripts/.
.PHONY: run test check setup docs lock lock-upgrade drill

run:    ## set up and run the service (UI) and the docs site
	bash scripts/run.sh

test:   ## set up and run every check and test against real services
	bash scripts/test.sh

check:  ## the quick loop: the same, but without the boot drill, the browser and the abuse suites
	bash scripts/test.sh -m "not serial"

setup:
	bash scripts/setup.sh

docs:
	.venv/bin/covaex docs build

lock:   ## re-resolve uv.lock after a pyproject.toml change (keeps every pin that still fits) and its exports
	bash scripts/lock.sh

lock-upgrade:   ## move every Python package to its newest allowed version; then `make test` decides
	bash scripts/lock.sh --upgrade

drill:  ## every resilience scenario on local stand-ins of To-Be v1 prod (root; about 12 minutes)
	mkdir -p benchmarks/results/drill && .venv/bin/covaex drill --out benchmarks/results/drill/$$(date -u +%F).json
