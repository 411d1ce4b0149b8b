"""The shipped boards, found by name without parsing any of them."""

from __future__ import annotations

from rthv.board.board_files import BOARDS_DIR, available_boards


def test_every_toml_file_in_the_boards_folder_is_a_board_by_its_name() -> None:
    """The names are the TOML files' stems, sorted."""
    stems = sorted(path.stem for path in BOARDS_DIR.iterdir() if path.suffix == ".toml")
    assert available_boards() == stems
    assert "vexpress-a15" in available_boards()
