"""A chart image (matplotlib): how far the year has come, by section of the plan and by kind of unit."""

from __future__ import annotations

from collections import Counter, defaultdict
from io import BytesIO

import matplotlib

matplotlib.use("Agg")  # files only: no screen on a server

import matplotlib.pyplot as plt  # noqa: E402

from locales import Lang  # noqa: E402
from jobs.year import STANDING_LABELS, Standing  # noqa: E402
from reports.summary import KIND_GROUPS, YearSummary  # noqa: E402

COLOURS = {Standing.DONE_ON_TIME: "#2e7d32", Standing.DONE_LATE: "#9ccc65", Standing.PENDING: "#42a5f5",
           Standing.OVERDUE: "#e53935", Standing.NOT_ARISEN: "#9e9e9e", Standing.AWAITING_EVENT: "#eceff1"}


def chart(summary: YearSummary, speak: Lang) -> bytes:
    by_kind: dict[str, Counter[Standing]] = defaultdict(Counter)
    for row in summary.rows:
        by_kind[speak._(KIND_GROUPS.get(row.unit.kind, row.unit.kind))][row.standing] += 1
    by_section = summary.by_section()
    sections = {speak._("Section {number}", number=summary.section_name(plan, s)): by_section[key].standings
                for plan, s in summary.sections if (key := (plan.id or 0, s["number"])) in by_section}
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [3, 2]})
    _bars(left, sections, speak._("By section of the plan"), speak)
    _bars(right, dict(by_kind), speak._("By kind of unit"), speak)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=COLOURS[s], edgecolor="#616161") for s in Standing]
    figure.legend(handles, [speak._(STANDING_LABELS[s]) for s in Standing], loc="lower center", ncol=6,
                  fontsize=9, frameon=False)
    unreported = sum(not row.reported for row in summary.rows)
    figure.text(0.5, 0.005, speak._("Not reported: {n} of {total} assignments.", n=unreported,
                                    total=len(summary.rows)), ha="center", fontsize=9)
    figure.suptitle(speak._("Implementation of the plan in {year} (share of assignments)", year=summary.year))
    figure.tight_layout(rect=(0, 0.08, 1, 0.95))
    return png(figure, dpi=110)


def png(figure: plt.Figure, dpi: int) -> bytes:
    """The figure as a PNG file's bytes; the figure is closed (pyplot keeps every open one)."""
    out = BytesIO()
    figure.savefig(out, format="png", dpi=dpi)
    plt.close(figure)
    return out.getvalue()


def _bars(axes: plt.Axes, groups: dict[str, Counter[Standing]], title: str, speak: Lang) -> None:
    names = list(groups)
    bottoms = [0.0] * len(names)
    for state in Standing:
        shares = [100 * groups[n][state] / max(1, sum(groups[n].values())) for n in names]
        axes.bar(names, shares, bottom=bottoms, color=COLOURS[state], edgecolor="#616161", linewidth=0.5)
        bottoms = [b + s for b, s in zip(bottoms, shares)]
    axes.set_title(title)
    axes.set_ylim(0, 100)
    axes.set_ylabel("%")
    axes.tick_params(axis="x", labelsize=9)
