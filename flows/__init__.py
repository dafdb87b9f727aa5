"""Prefect flows, one per module; flows orchestrate the domain and do the I/O."""
