"""Expectations in architecture files: verification, output formats and --update."""
