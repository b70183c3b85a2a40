"""The analyses of synthesized stacks that both the docs and ``covaex diff`` state: one library, no docs in it.

* :mod:`.cost` -- fixed monthly cost of a stack from a dated price table (``monthly_cost``);
* :mod:`.iam` -- roles with what their policies allow, and resource policies (``role_policies``);
* :mod:`.values` -- Terraform values as people read them;
* SPOF findings are :mod:`covaex.topology.spof` (rules in ``spof_rules``), on the topology model.

The docs' fact modules (``covaex.docsite.facts``) turn these into page data;
``covaex.diff.ingredients`` compares them between two versions. Nothing here
imports ``covaex.docsite`` or ``covaex.diff``.
"""
