"""`python -m etr` runs the command-line interface."""

from etr.cli import main

if __name__ == "__main__":
    main()
