"""Survival and comparison statistics that equal R's `survival` (EZR settings)."""
