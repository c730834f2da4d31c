"""`python -m etr` runs the command-line interface (`etr._start.main`)."""

from etr._start import main

if __name__ == "__main__":
    main()
