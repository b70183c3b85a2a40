"""Platform v2 (EPICs 3, 4, 6): EKS, IRSA, Helm add-ons and ECR as CDKTF stacks.

One module per concern: ``config`` (documented frozen dataclasses, dev/prod
values and the node sizing rationale), ``network`` (reads the v1 network),
``kms``, ``iam`` (service and IRSA roles), ``alb_controller_policy``,
``eks``, ``addons`` (Helm), ``ecr`` and ``stacks`` (``add_platform_stacks``).
The package imports none of them, so reading ``config`` needs no provider.
"""
