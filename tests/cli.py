"""`python -m bot …` run in this process: the same `main`, the environment and the working folder it would
have, its standard output and error captured. A process costs a second or two to start; the tests that are
about the process itself (signals, exit on a broken pipe, a bot running beside) still start one."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from bot.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
_ONE_AT_A_TIME = threading.Lock()


def cli(db_url: str, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """What `python -m bot ARGS` would print and return, with TDC_DATABASE_URL and `env` as its only TDC_
    settings, run from the project's folder, `stdin` as its input. One at a time: the environment is the
    process's."""
    with _ONE_AT_A_TIME:
        return _run(db_url, args, stdin, env)


def _run(db_url: str, args: tuple[str, ...], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    saved_env, saved_root, saved_stdin = dict(os.environ), logging.getLogger(), sys.stdin
    saved_handlers, saved_level = list(saved_root.handlers), saved_root.level
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update({k: v for k, v in saved_env.items() if not k.startswith("TDC_")}
                      | {"TDC_DATABASE_URL": db_url} | env)
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse: --help, a bad option
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.stdin = saved_stdin
        os.environ.clear()
        os.environ.update(saved_env)
        saved_root.handlers[:] = saved_handlers
        saved_root.setLevel(saved_level)
    return subprocess.CompletedProcess(["python", "-m", "bot", *args], code, out.getvalue(), err.getvalue())
