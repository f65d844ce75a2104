"""`python -m rwe` runs the CLI."""

from rwe.cli import main

if __name__ == "__main__":  # not in a spawned worker process
    main()
