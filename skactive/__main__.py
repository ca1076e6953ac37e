"""``python -m skactive``: the command line of :mod:`skactive.cli`."""

import sys

from skactive.cli import main

if __name__ == "__main__":
    sys.exit(main())
