"""A chart image (matplotlib) of the period: each figure the plan gives a target, across the years, against its
target — a yearly target as a line met or not each year, a target set for a later year (2030) as the point the
path leads to. Figures without any data in the period are left out."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files only: no screen on a server

import matplotlib.pyplot as plt  # noqa: E402

from locales import Lang  # noqa: E402
from reports.chart import png  # noqa: E402
from reports.period import PeriodSummary, target_of  # noqa: E402

COLUMNS = 3
LABEL = 48  # characters of a figure's label in its panel's title


def period_chart(period: PeriodSummary, speak: Lang) -> bytes:
    years = [year.year for year in period.years]
    figures = {year.year: year.figures for year in period.years}
    panels = []
    for task in period.tasks():
        for figure in task.figures:
            values = [(year, figures[year][(task.code, figure["key"])].value) for year in years
                      if (task.code, figure["key"]) in figures[year] and figures[year][(task.code, figure["key"])].reports]
            target, target_by = target_of(task, figure["key"])
            if values and target is not None:
                panels.append((f"{task.code} · {figure['label']}", figure.get("unit", ""), values, target, target_by))
    rows = max(1, -(-len(panels) // COLUMNS))
    canvas, axes = plt.subplots(rows, COLUMNS, figsize=(5 * COLUMNS, 3.4 * rows), squeeze=False)
    for index, panel in enumerate(axes.flat):
        if index >= len(panels):
            panel.axis("off")
            continue
        title, unit, values, target, target_by = panels[index]
        panel.plot([y for y, _ in values], [v for _, v in values], marker="o", color="#1565c0")
        if target_by is None:
            panel.axhline(target, color="#e53935", linestyle="--", linewidth=1)
        else:
            panel.plot([target_by], [target], marker="*", markersize=12, color="#e53935")
            panel.annotate(speak._("target {year}", year=target_by), (target_by, target), fontsize=8,
                           textcoords="offset points", xytext=(-20, 6))
        panel.set_xticks(sorted(set(years) | ({target_by} if target_by else set())))  # a year without data shows
        panel.set_title(title if len(title) <= LABEL else title[:LABEL - 1] + "…", fontsize=9)
        panel.set_ylabel(unit)
    if not panels:
        axes.flat[0].text(0.5, 0.5, speak._("No figure with a target has data in the period."), ha="center")
    canvas.suptitle(speak._("The plan's figures {span}, against their targets", span=period.span))
    canvas.tight_layout(rect=(0, 0, 1, 0.95))
    return png(canvas, dpi=100)
