"""Where the shipped board descriptions are, by name (cheap to import: no parsing here)."""

from __future__ import annotations

from pathlib import Path

BOARDS_DIR = Path(__file__).parent / "boards"


def available_boards() -> list[str]:
    """Names of the boards shipped with rthv."""
    return sorted(path.stem for path in BOARDS_DIR.glob("*.toml"))
