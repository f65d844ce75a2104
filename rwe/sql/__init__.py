"""SQL files, one object per file: migrations (schema) and derivations."""
