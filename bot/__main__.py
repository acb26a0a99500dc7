"""Command line: `python -m bot [run|seed|units|tasks|invite|console] …`; `--help` on each."""

from bot.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
