# Front end for the two README commands; the work lives in scripts/.
.PHONY: run test setup docs lock

run:    ## set up and run the service (UI) and the docs site
	bash scripts/run.sh

test:   ## set up and run every check and test against real services
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

docs:
	.venv/bin/covaex docs build

lock:   ## re-pin the service's runtime dependencies with hashes (instance artifact and image)
	.venv/bin/pip install -q pip-tools && .venv/bin/pip-compile -q --extra service --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements/service.lock pyproject.toml
