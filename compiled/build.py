"""Compile the modules listed in compiled/modules.txt with mypyc (``make setup`` runs this).

    .venv/bin/python compiled/build.py

Each module becomes a C extension beside its source in src/ (one shared library,
``rthv.compiled__mypyc``, holds their common code, so that a call from one to another is a C
call). Then ``src/rthv/compiled_modules.json`` records each module's source hash: at import,
``rthv.compiled_modules`` runs the compiled modules only while every one of them matches its
source, and the Python source otherwise. A failed build leaves no record, so the source runs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from rthv.compiled_modules import RECORD, source_hash  # (what the check at import reads)

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
LIST = ROOT / "compiled" / "modules.txt"
GROUP = "rthv.compiled"  # the shared library: rthv/compiled__mypyc.*.so
BUILD = ROOT / "build" / "mypyc"


def listed_sources() -> list[Path]:
    """The sources compiled/modules.txt lists (blank lines and ``#`` comments skipped)."""
    paths = []
    for number, line in enumerate(LIST.read_text().splitlines(), 1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        path = SRC / entry
        if not path.is_file():
            sys.exit(f"{LIST}:{number}: no such module: {entry}")
        paths.append(path)
    return paths


def module_name(path: Path) -> str:
    """``rthv.board.signal`` for src/rthv/board/signal.py."""
    return ".".join(path.relative_to(SRC).with_suffix("").parts)


def main() -> None:
    sources = listed_sources()
    RECORD.unlink(missing_ok=True)  # until the build succeeds, the sources run
    for extension in SRC.rglob("*.so"):  # earlier builds': a module no longer listed, too
        if extension.with_name(extension.name.split(".", 1)[0] + ".py").exists():
            extension.unlink()
    from mypyc.build import mypycify  # (the dev extras' mypy)
    from setuptools import setup  # type: ignore[import-untyped]

    os.chdir(SRC)
    relative = [str(path.relative_to(SRC)) for path in sources]
    setup(
        name="rthv-compiled",
        ext_modules=mypycify(
            relative, opt_level="3", group_name=GROUP, target_dir=str(BUILD / "c")
        ),
        script_args=[
            *("-q", "build_ext", "--inplace"),
            *("--build-temp", str(BUILD / "temp"), "--build-lib", str(BUILD / "lib")),
        ],
    )
    record = {module_name(path): source_hash(path) for path in sources}
    RECORD.write_text(json.dumps({"group": GROUP, "modules": record}, indent=1) + "\n")
    print(f"compiled {len(record)} modules with mypyc ({LIST.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
