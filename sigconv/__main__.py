"""``python -m sigconv ...``: the command line (see :mod:`sigconv.cli`)."""

import sys

from sigconv.cli import main

sys.exit(main())
