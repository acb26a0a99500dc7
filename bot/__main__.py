"""Command line: `python -m bot COMMAND …` (run, seed, units, tasks, invite, remind, report, db, backup, audit …);
`python -m bot --help` lists them all, and `--help` after each tells its options."""

from bot.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
