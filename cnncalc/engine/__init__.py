"""The walk of a Network's graph: shapes, parameters, MACs and receptive fields per layer."""
