"""Reading plans: a plan's appendix out of its Word or Excel file (appendix.py), who each cell names and the
draft in the format of data/plans/*.yaml, with the checks it must pass (draft.py), and the units it is read
against (units.py). Imports models and jobs only; `python -m bot plan …` (bot/cli/plan.py) drives it."""
