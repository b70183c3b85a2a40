"""``covaex diff``: an architecture review of a change, for pull requests.

sources      BASE / HEAD as folders of synthesized stacks, git refs or the working tree
resources    added / removed / changed resources, on the raw Terraform JSON
ingredients  the one adapter to the model: SPOF findings, cost, exposure, IAM grants
review       the comparison: the JSON object of the contract, and the gate
markdown     the same as a pull-request comment
command      the CLI entry: progress, output, exit status
schema.json  the JSON output's schema (tests validate against it)
"""
