"""Multi-site studies that share aggregates only."""
