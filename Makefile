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
	# pip-tools lives in a throwaway venv: its packaging>=24 would break checkov's pin in .venv.
	python3 -m venv /tmp/covaex-piptools && /tmp/covaex-piptools/bin/pip install -q pip-tools
	/tmp/covaex-piptools/bin/pip-compile -q --extra service --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links -o requirements/service.lock pyproject.toml
