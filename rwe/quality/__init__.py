"""Data-quality gates (great-expectations) over the OMOP tables."""
