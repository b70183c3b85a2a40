"""One construct per AWS concern, each configured by a frozen dataclass.

Every construct pins its resources' logical ids (``override_logical_id``) so
Terraform addresses are readable and stable (``aws_subnet.app_c``,
``aws_nat_gateway.nat_a``): the generated docs and the SPOF rules name
resources by these addresses. Per-AZ resources end in ``_a`` / ``_c``.
"""
