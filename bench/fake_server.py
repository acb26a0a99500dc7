"""Runs the tests' fake Bot API server in its own process, so a benchmark does not share an interpreter
with it. Prints the API URL on the first line, then serves until stdin closes."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fake_telegram import FakeTelegram  # noqa: E402

if __name__ == "__main__":
    with FakeTelegram() as fake:
        print(fake.api_url, flush=True)
        sys.stdin.read()
        print(len(fake.sent), flush=True)
