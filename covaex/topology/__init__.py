"""Topology model, SPOF analysis and diagrams from Terraform JSON."""
