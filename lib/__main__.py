"""`python -m lib COMMAND ...`: the command line lives in lib.cli; this only runs it."""

import sys

from lib.cli import main

if __name__ == "__main__":
    sys.exit(main())
