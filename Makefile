# Front end for the two README commands; the work lives in scripts/.
.PHONY: run test setup docs

run:    ## set up and run the service (UI) and the docs site
	bash scripts/run.sh

test:   ## set up and run every check and test against real services
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

docs:
	.venv/bin/covaex docs build
