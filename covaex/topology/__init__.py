"""Topology model, SPOF analysis and diagrams from Terraform JSON (and the As-Is YAML).

Public API (everything else is private to the package):

Reader (the one reader of synthesized Terraform JSON)
    ``tfjson.load_stack(name, path) -> TerraformDoc``    typed stack: ``resources(type)``, ``by_address``, ``refs``
    ``tfjson.union_stacks(env, docs) -> TerraformDoc``  an environment's stacks as one (lookups resolved, ``origin``)

I/O
    ``terraform.read_terraform(path) -> dict``          parsed ``cdk.tf.json`` / ``*.tf.json`` (CliError on bad input)
    ``asis.load_asis(path) -> AsIs``                    ``diagrams/asis.yaml``: ``.topology``, ``.symptoms``, ``.risks``
    ``commands.load_topology(path) -> Topology``         either of the two, chosen by suffix (.yaml/.yml = As-Is)

Model (pure)
    ``model.build_topology(doc, *, name=None) -> Topology``   ``doc``: a ``TerraformDoc`` (or a raw dict)
    ``Topology``: ``name``, ``origin`` ("terraform"|"asis"), ``nodes``, ``edges``, ``subnets`` (CIDR plan),
    ``route_tables`` (routes + associated subnets), ``sg_rules`` (source/target tier, ports), ``azs``,
    ``node(address)``, ``of_kind(*kinds)``, ``edges_of(*kinds)``; see ``entities`` for every field.

SPOF
    ``spof.spof_findings(topology) -> list[Finding]``    id, severity, resources, title, evidence, remediation, basis
    ``spof.RULES``                                       the rule catalogue (id -> Rule), for a docs table
    ``spof.az_loss_breaks(topology) -> {az: [address]}`` what each AZ loss takes off the request path
    ``report.findings_json(findings)`` / ``report.findings_markdown(findings, title=...)``

Diagrams
    ``render.render_diagram(topology, out_path, *, title=None, findings=None) -> Path``   .svg or .png
    ``layout.build_scene(topology, *, title, findings) -> Scene``                         what is drawn, as data

Commands: ``commands.run_spof(paths, fmt=...)``, ``commands.run_diagram(path, out)``.
"""
