"""``covaex drill``: To-Be v1 prod on local stand-ins, one part broken per scenario, what users see measured."""
