"""Pictures of a run (matplotlib): a timeline of the VMs, latency histograms, a CPU-share table.

``write_pictures`` writes ``timeline.png``, ``latency.png`` and ``tables.md`` into a folder,
and with ``html=True`` also ``report.html``, one file holding the pictures and the table.
"""

from __future__ import annotations

import base64
import html as html_text
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from rthv.tools.report_data import RunPicture

DPI = 120
BAR_HEIGHT = 0.6
HISTOGRAM_BINS = 40
# How each kind of instant is marked on the timeline: (marker, colour, label).
MARKS = {
    "irq": ("|", "tab:blue", "IRQ"),
    "hvc": ("o", "tab:green", "hypercall"),
    "fault": ("X", "tab:red", "fault"),
    "ignored": ("s", "tab:orange", "ignored access"),
    "miss": ("v", "crimson", "deadline miss"),
}
VM_COLOURS = ("tab:cyan", "tab:purple", "tab:olive", "tab:pink", "tab:brown", "tab:gray")


@dataclass(frozen=True)
class WrittenReport:
    """The files ``write_pictures`` wrote."""

    timeline: Path | None
    latency: Path | None
    table: Path
    html: Path | None


def timeline_figure(picture: RunPicture) -> Figure:
    """A Gantt chart: one row per VM, a bar while it held the CPU, marks for what happened."""
    rows = {vm: len(picture.vms) - 1 - index for index, vm in enumerate(picture.vms)}
    figure, axes = plt.subplots(figsize=(12, 1.2 + 0.8 * len(rows)), dpi=DPI)
    for vm, row in rows.items():
        bars = [b for b in picture.bars if b.vm == vm]
        axes.barh(
            [row] * len(bars),
            [(b.end_us - b.start_us) / 1000 for b in bars],
            left=[b.start_us / 1000 for b in bars],
            height=BAR_HEIGHT,
            color=VM_COLOURS[row % len(VM_COLOURS)],
            edgecolor=VM_COLOURS[row % len(VM_COLOURS)],
            linewidth=0.6,  # a slice shorter than a pixel still shows
            label="_nolegend_",
            gid=f"bars:{vm}",
        )
    for kind, (marker, colour, label) in MARKS.items():
        marks = [m for m in picture.marks if m.kind == kind and m.vm in rows]
        if marks:
            axes.scatter(
                [m.time_us / 1000 for m in marks],
                [rows[m.vm] + BAR_HEIGHT / 2 + 0.12 for m in marks],
                marker=marker,
                color=colour,
                s=30,
                label=f"{label} ({len(marks)})",
                zorder=3,
            )
    axes.set_yticks(list(rows.values()), list(rows))
    axes.set_ylim(-0.6, len(rows) - 0.1)
    axes.set_xlim(0, max(picture.end_us / 1000, 1e-3))
    axes.set_xlabel("virtual time (ms)")
    axes.set_title("which VM held the CPU")
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    figure.tight_layout()
    return figure


def latency_figure(picture: RunPicture) -> Figure:
    """One histogram per VM of its interrupt latencies (deliverable to IRQ entry)."""
    vms = picture.vms
    figure, axes_list = plt.subplots(
        len(vms), 1, figsize=(8, 2.2 * len(vms)), dpi=DPI, squeeze=False
    )
    for axes, vm in zip((row[0] for row in axes_list), vms, strict=True):
        histogram = picture.latencies_us.get(vm)
        if histogram:
            values = sorted(histogram)
            axes.hist(values, bins=HISTOGRAM_BINS, weights=[histogram[v] for v in values])
            axes.set_yscale("log")
            axes.set_ylim(bottom=0.5)  # a bin with one interrupt stays visible
            axes.set_ylabel("interrupts")
        else:
            axes.text(0.5, 0.5, "no interrupts", ha="center", va="center")
            axes.set_yticks([])
        axes.set_title(f"{vm}: interrupt latency", fontsize="medium")
        axes.set_xlabel("latency (us)")
    figure.tight_layout()
    return figure


def share_table(picture: RunPicture) -> list[list[str]]:
    """The CPU-share table: a header row, then one row per VM."""
    header = ["VM", "CPU share", "ran (ms)"]
    full = picture.has_report
    if full:
        header += ["switches in", "preempted", "waited", "deadline misses", "IRQ latency (us)"]
    rows = [header]
    for share in picture.shares:
        row = [share.vm, f"{share.cpu_share:.1%}", f"{share.run_ms:.3f}"]
        if full:
            latency = share.irq_latency_us
            row += [
                str(share.switches_in),
                str(share.preemptions),
                str(share.waits),
                str(share.deadline_misses),
                "-" if latency is None else "{:.3f} / {:.3f} / {:.3f}".format(*latency),
            ]
        rows.append(row)
    return rows


def task_table(picture: RunPicture) -> list[list[str]]:
    """The per-task table (guest-level metrics): a header row, then one row per task."""
    header = ["VM/task", "T (us)", "D (us)", "released", "completed"]
    header += ["response min/mean/max/p99 (us)", "deadline misses", "preemptions"]
    rows = [header]
    for task in picture.tasks:
        response = task["response_us"]
        rows.append(
            [
                f"{task['vm']}/{task['name']}",
                str(task["period_us"]),
                str(task["deadline_us"]),
                str(task["released"]),
                str(task["completed"]),
                "-" if response is None else "{} / {:.1f} / {} / {}".format(*response),
                str(task["deadline_misses"]),
                str(task["preemptions"]),
            ]
        )
    return rows


def markdown_table(rows: list[list[str]]) -> str:
    """``rows`` (header first) as a Markdown table."""
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines) + "\n"


def write_pictures(picture: RunPicture, folder: Path, *, html: bool = False) -> WrittenReport:
    """Write the pictures and the table of ``picture`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    timeline = latency = None
    if picture.has_trace:
        timeline = folder / "timeline.png"
        _save(timeline_figure(picture), timeline)
    if picture.has_report:
        latency = folder / "latency.png"
        _save(latency_figure(picture), latency)
    table = folder / "tables.md"
    tables = [("CPU share", share_table(picture))]
    if picture.tasks:
        tables.append(("Tasks (reported by the guests)", task_table(picture)))
    table.write_text("\n".join(f"## {title}\n\n{markdown_table(rows)}" for title, rows in tables))
    page = None
    if html:
        page = folder / "report.html"
        page.write_text(_html_page(tables, [p for p in (timeline, latency) if p is not None]))
    return WrittenReport(timeline, latency, table, page)


def _save(figure: Figure, path: Path) -> None:
    figure.savefig(path)
    plt.close(figure)


def _html_table(title: str, rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{html_text.escape(cell)}</th>" for cell in rows[0])
    body = [f"<tr>{cells}</tr>"]
    for row in rows[1:]:
        body.append("<tr>" + "".join(f"<td>{html_text.escape(c)}</td>" for c in row) + "</tr>")
    return f"<h2>{html_text.escape(title)}</h2>\n<table>{''.join(body)}</table>\n"


def _html_page(tables: list[tuple[str, list[list[str]]]], images: list[Path]) -> str:
    pictures = [
        f'<p><img alt="{image.stem}" src="data:image/png;base64,'
        f'{base64.b64encode(image.read_bytes()).decode()}"></p>'
        for image in images
    ]
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>rthv run</title>\n'
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:2px 8px;text-align:right}</style></head>\n"
        "<body><h1>rthv run</h1>\n"
        + "".join(_html_table(title, rows) for title, rows in tables)
        + "\n".join(pictures)
        + "\n</body></html>\n"
    )
