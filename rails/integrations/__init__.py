"""Integrations with other frameworks; each imports its framework, so import it only when used."""
