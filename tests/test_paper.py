"""The paper's tables: their Markdown, SLOCCount's figures and the code-size breakdown."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from rthv.tools.paper import (
    HV_PARTS,
    SWEEP_CPI,
    SWEEP_WORLD_SWITCH,
    PaperResult,
    PingPong,
    SweepPoint,
    paper_markdown,
    plot_sweep,
    sloc,
)

REPO = Path(__file__).resolve().parents[1]
HV_DIR = REPO / "src" / "rthv" / "hv"

# 3 physical source lines for SLOCCount: the import, the def and the return. The docstring,
# the comments and the blank lines are not code.
SAMPLE = '''"""Module docstring
on two lines."""

# a comment
import os  # a trailing comment


def join(x):
    # a comment inside

    return os.path.join(x, "y")
'''


def _result() -> PaperResult:
    return PaperResult(
        boot_bare_us=120,
        boot_vm_us=150,
        hypervisor_boot_cycles=3_000,
        pingpong=[
            PingPong("back to back (edf)", 4_000, 12_000, "no wait"),
            PingPong("tick (round-robin)", 1_000_000, 1_001_000, "one per tick"),
        ],
        sweep=[
            SweepPoint(ws, cpi, 4_000, 4_000 + ws * (i + 1))
            for ws in SWEEP_WORLD_SWITCH
            for i, cpi in enumerate(SWEEP_CPI)
        ],
        sloc_hv=1_234,
        sloc_by_part={"core": 900, "Stage-2 tables": 334},
    )


def test_paper_markdown_renders_every_variant_the_overhead_and_the_sweep() -> None:
    """Boot row; the paper's row then each variant with overhead per round trip, ratio and how
    it differs; the sweep grid; SLOC per part."""
    lines = paper_markdown(_result()).splitlines()
    assert lines[2] == (
        "| boot: reset -> `usermain` | 120 us | 150 us (hypervisor boot: 3000 cycles) | |"
    )
    assert "| the paper (Table 2) | 1,009,000 us | 1,432,000 us | 423 us | 1.42x |" in lines[6]
    assert lines[7] == "| back to back (edf) | 4,000 us | 12,000 us | 8.0 us | 3.00x | no wait |"
    assert lines[8] == (
        "| tick (round-robin) | 1,000,000 us | 1,001,000 us | 1.0 us | 1.00x | one per tick |"
    )
    assert lines[10].startswith("Every rthv row: our RTOS")
    assert lines[12] == "| ratio (fixed-priority, back to back) | CPI 1 | CPI 1.5 | CPI 2 |"
    # world_switch 3,000: 4,000 + 3,000 x (1, 2, 3) over 4,000
    assert lines[15] == "| world_switch = 3,000 cycles | 1.75x | 2.50x | 3.25x |"
    assert lines[-1] == "| **total `src/rthv/hv`** | **1234** |"


def test_the_sweep_is_plotted(tmp_path: Path) -> None:
    """plot_sweep writes a PNG image."""
    path = tmp_path / "sweep.png"
    plot_sweep(_result().sweep, path)
    assert path.read_bytes().startswith(b"\x89PNG")


def test_benchmarks_md_shows_the_recorded_paper_figures() -> None:
    """docs/BENCHMARKS.md carries the tables of docs/bench/paper.json, as rthv renders them."""
    data = json.loads((REPO / "docs" / "bench" / "paper.json").read_text())
    data["pingpong"] = [PingPong(**row) for row in data["pingpong"]]
    data["sweep"] = [SweepPoint(**point) for point in data["sweep"]]
    tables = paper_markdown(PaperResult(**data))
    assert tables in (REPO / "docs" / "BENCHMARKS.md").read_text()


def test_sloc_counts_python_code_lines_as_sloccount_does(tmp_path: Path) -> None:
    """Docstrings, comments and blank lines are not counted: 3 lines of code."""
    path = tmp_path / "sample.py"
    path.write_text(SAMPLE)
    assert sloc([path]) == 3


def test_sloc_adds_up_several_files_and_reads_thousands(tmp_path: Path) -> None:
    """Two files of 3 and 1,200 lines: 1,203, printed by SLOCCount with a thousands comma."""
    (tmp_path / "sample.py").write_text(SAMPLE)
    (tmp_path / "long.py").write_text("".join(f"x{n} = {n}\n" for n in range(1_200)))
    assert sloc([tmp_path / "sample.py", tmp_path / "long.py"]) == 1_203
    assert sloc([tmp_path]) == 1_203


def test_sloc_of_a_file_without_code_is_zero(tmp_path: Path) -> None:
    """A package __init__ holding only its docstring has no lines of code."""
    path = tmp_path / "__init__.py"
    path.write_text('"""Only a docstring."""\n')
    assert sloc([path]) == 0


def _listed() -> list[str]:
    return [name for files in HV_PARTS.values() for name in files]


def _is_docstring_only(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def test_hv_parts_name_existing_files_once_each() -> None:
    """Every file of the breakdown exists under src/rthv/hv and sits in a single part."""
    listed = _listed()
    assert [name for name in listed if not (HV_DIR / name).is_file()] == []
    assert len(listed) == len(set(listed))


def test_hv_parts_cover_every_python_file_with_code() -> None:
    """A new module in src/rthv/hv must join a part; only docstring-only files may be left out."""
    every = {path.relative_to(HV_DIR).as_posix() for path in HV_DIR.rglob("*.py")}
    left_out = sorted(every - set(_listed()))
    assert [name for name in left_out if not _is_docstring_only(HV_DIR / name)] == []


def test_the_parts_add_up_to_the_total() -> None:
    """SLOC per part sums to SLOCCount's total for src/rthv/hv: the breakdown is complete."""
    parts = [sloc([HV_DIR / name for name in files]) for files in HV_PARTS.values()]
    assert all(count > 0 for count in parts)
    assert sum(parts) == sloc([HV_DIR])
