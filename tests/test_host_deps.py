"""Every program that src/ or tests/ start comes from a Debian package that `make` installs.

A fresh machine has only what the Makefile installs: a program found here only because someone
installed it by hand would fail there. The programs are found in the code itself (the first word
of each command handed to subprocess, and every name asked of shutil.which), so a new program
cannot slip in unnoticed.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STARTERS = {"run", "Popen", "check_output", "check_call", "call", "which"}
NOT_PROGRAMS = {"sys", "python", "python3"}  # the interpreter itself; never a package's program


def _first_word(node: ast.expr, lists: dict[str, ast.List]) -> str | None:
    """The program a command names: a string, or the first string of a list, followed by name."""
    if isinstance(node, ast.Name) and node.id in lists:
        node = lists[node.id]
    if isinstance(node, ast.List) and node.elts:
        node = node.elts[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.split()[0] if node.value.strip() else None
    return None


def programs_started(path: Path) -> set[str]:
    """The programs one Python file starts or looks up."""
    tree = ast.parse(path.read_text())
    lists = {
        target.id: node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in STARTERS and (program := _first_word(node.args[0], lists)):
            found.add(program)
    return found - NOT_PROGRAMS


def makefile_packages() -> set[str]:
    """The Debian packages the Makefile's DEBIAN_PACKAGES list names."""
    text = (REPO / "Makefile").read_text()
    match = re.search(r"^DEBIAN_PACKAGES\s*:?=\s*((?:.*\\\n)*.*)$", text, re.M)
    assert match, "the Makefile has no DEBIAN_PACKAGES list"
    return set(match.group(1).replace("\\\n", " ").split())


@cache
def installed_closure() -> frozenset[str]:
    """The Makefile's packages and everything they depend on, as apt resolves it."""
    done = subprocess.run(
        [
            "apt-cache",
            "depends",
            "--recurse",
            "--no-recommends",
            "--no-suggests",
            "--no-conflicts",
            "--no-breaks",
            "--no-replaces",
            "--no-enhances",
            *sorted(makefile_packages()),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    names = {line.strip() for line in done.stdout.splitlines() if not line.startswith(" ")}
    names |= {
        line.split(":", 1)[1].strip() for line in done.stdout.splitlines() if "Depends:" in line
    }
    return frozenset(name.split(":")[0].strip("<>") for name in names)


def package_of(program: str) -> str:
    """The Debian package that installed ``program`` on this machine."""
    path = shutil.which(program)
    assert path, f"{program} is started by the code but is not installed: `make` must install it"
    real = Path(path).resolve()
    for candidate in (path, str(real), str(real).replace("/usr/bin/", "/bin/")):
        done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split(":")[0].split(",")[0].strip()
    raise AssertionError(
        f"{program} ({path}) belongs to no Debian package: `make` cannot install it"
    )


def all_programs() -> dict[str, set[str]]:
    """Each program started anywhere in src/ and tests/, with the files that start it."""
    where: dict[str, set[str]] = {}
    for path in sorted([*REPO.glob("src/**/*.py"), *REPO.glob("tests/**/*.py")]):
        for program in programs_started(path):
            where.setdefault(program, set()).add(str(path.relative_to(REPO)))
    return where


def test_the_scan_finds_the_programs_we_know_of() -> None:
    """The scan sees the cross assembler, the device-tree compiler, QEMU and sloccount."""
    assert {"arm-none-eabi-as", "dtc", "qemu-system-arm", "sloccount"} <= set(all_programs())


def test_the_scan_reads_lists_and_which(tmp_path: Path) -> None:
    """A command held in a variable and a shutil.which look-up are both found."""
    source = tmp_path / "sample.py"
    source.write_text(
        "import shutil, subprocess\n"
        "command = ['frobnicate', '-x']\n"
        "subprocess.run(command)\n"
        "subprocess.Popen(['widget'])\n"
        "shutil.which('gizmo')\n"
    )
    assert programs_started(source) == {"frobnicate", "widget", "gizmo"}


def test_every_program_comes_from_a_package_the_makefile_installs() -> None:
    """No program that the code or the tests start relies on something installed by hand."""
    closure = installed_closure()
    missing = {
        program: (package_of(program), sorted(files))
        for program, files in all_programs().items()
        if package_of(program) not in closure
    }
    assert not missing, f"add these packages to DEBIAN_PACKAGES in the Makefile: {missing}"
