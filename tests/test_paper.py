"""The paper's tables: their Markdown, SLOCCount's figures and the code-size breakdown."""

from __future__ import annotations

import ast
from pathlib import Path

from rthv.tools.paper import HV_PARTS, PaperResult, paper_markdown, sloc

HV_DIR = Path(__file__).resolve().parents[1] / "src" / "rthv" / "hv"

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


def test_paper_markdown_renders_both_tables() -> None:
    """Boot row, one ping-pong row per policy with its ratio to bare metal, SLOC per part."""
    result = PaperResult(
        boot_bare_us=120,
        boot_vm_us=150,
        hypervisor_boot_cycles=8_799,
        pingpong_bare_us=400,
        pingpong_vm_us={"round-robin": 1_000, "edf": 500},
        sloc_hv=1_234,
        sloc_by_part={"core": 900, "Stage-2 tables": 334},
    )
    assert paper_markdown(result).splitlines() == [
        "| benchmark | bare metal | on rthv | ratio |",
        "|---|---:|---:|---:|",
        "| boot: reset -> `usermain` | 120 us | 150 us (hypervisor boot: 8799 cycles) | |",
        "| 1,000 messages each way (round-robin) | 400 us | 1000 us | 2.50x |",
        "| 1,000 messages each way (edf) | 400 us | 500 us | 1.25x |",
        "",
        "| `src/rthv/hv` part | SLOC |",
        "|---|---:|",
        "| core | 900 |",
        "| Stage-2 tables | 334 |",
        "| **total `src/rthv/hv`** | **1234** |",
    ]


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
