"""python -m comparisons.cli: the nn-parity command."""

import sys

from comparisons.cli import main

sys.exit(main())
