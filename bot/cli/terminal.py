"""What the commands show on the terminal while they work."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def progress(**options: Any) -> tqdm:  # type: ignore[type-arg]
    """A progress bar on the terminal for work over many units (tqdm), on standard error, and none when the
    output is not a terminal (cron, a pipe, the tests)."""
    return tqdm(file=sys.stderr, disable=None, leave=False, **options)
