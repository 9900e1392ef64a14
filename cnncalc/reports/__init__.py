"""Analysis to neutral tables: the reports, folding, counting conventions and solve."""
