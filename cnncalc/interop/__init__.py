"""PyTorch export and import."""
