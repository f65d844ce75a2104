"""`python -m rwe` runs the CLI."""

from rwe.cli import main

main()
