"""The typer application: the only place that prints or exits."""
