"""The stacks of the app: the ``state`` bootstrap and one ``tobe-v1-<env>`` per environment."""
