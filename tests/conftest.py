"""Settings of every test session: the reference cache is off in the runs the tests start (they check the
frameworks themselves, plant faults in adapters, or count imports); a test of the cache names its own
folder with --cache-dir, which overrides this."""

from __future__ import annotations

import os

os.environ["NN_PARITY_CACHE"] = "off"
