"""`python -m bot …`: the command line (bot/cli/main.py), one module per group of commands."""
