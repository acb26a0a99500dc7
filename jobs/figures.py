"""A task's own figures as the plan declares them (data/plans/*.yaml: key, label, unit, kind, target), and how
an answer's figures read wherever they are shown: the review, both workbooks, the annual report's summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from models import Task

Labels = tuple[tuple[str, str, str], ...]  # (key, label, unit) of each figure, in the plan's order


def figure_labels(task: Task | None) -> Labels:
    return tuple((f["key"], f["label"], f.get("unit", "")) for f in (task.figures if task else []))


def figure_lines(figures: Mapping[str, Any], labels: Labels, number: Callable[[Any], str] = str) -> list[str]:
    """"Số lớp đào tạo: 2 lớp", one per figure given, by the label the plan gives it (its key when the plan no
    longer names it), in the order of the keys."""
    named = {key: (label, unit) for key, label, unit in labels}
    return [f"{named.get(key, (key, ''))[0]}: {number(value)} {named.get(key, ('', ''))[1]}".rstrip()
            for key, value in sorted(figures.items())]
