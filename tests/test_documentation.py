"""The documents say what the code has: modules, imports, configuration keys and links.

Each test reads a document and the code it describes, so a module, key or heading added,
renamed or removed on one side and not the other fails here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from rthv.hv.config.model import SystemConfig

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "rthv"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
CONFIGURATION = ROOT / "docs" / "configuration.md"
LINKED = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "examples" / "README.md",
    ROOT / "guests" / "README.md",
    ROOT / "guests" / "rtos" / "README.md",
]


def table_rows(text: str) -> list[list[str]]:
    """The cells of every table row of a Markdown text (header and rule rows included)."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]


def modules() -> list[Path]:
    """Every module of src/rthv, as a path relative to it (packages' __init__ left out)."""
    return sorted(p.relative_to(SOURCE) for p in SOURCE.rglob("*.py") if p.name != "__init__.py")


# --- docs/architecture.md ----------------------------------------------------------------------


def test_every_module_is_named_in_a_table_of_the_architecture() -> None:
    """Each module's file name, alone or after its package folder, is in a table row."""
    rows = "\n".join(" | ".join(cells) for cells in table_rows(ARCHITECTURE.read_text()))
    named = set(re.findall(r"`(?:[\w/]+/)?(\w+\.py)`", rows))
    found = modules()
    assert len(found) > 90  # the rule reads the real tree
    assert [str(m) for m in found if m.name not in named] == []


def test_every_module_the_architecture_tables_name_exists() -> None:
    """A `name.py` in a table is a module of src/rthv (or, with a folder, that repository file)."""
    rows = "\n".join(" | ".join(cells) for cells in table_rows(ARCHITECTURE.read_text()))
    names = {m.name for m in modules()}
    paths = {str(m) for m in modules()}
    wrong = []
    for path in sorted(set(re.findall(r"`([\w/]+\.py)`", rows))):
        if path.startswith(("tests/", "src/")):
            exists = (ROOT / path).is_file()
        else:
            exists = path in names if "/" not in path else any(p.endswith(path) for p in paths)
        if not exists:
            wrong.append(path)
    assert wrong == []


def imports_inside_hv(module: Path) -> set[str]:
    """The modules of rthv.hv that ``module`` imports, by dotted name below rthv.hv."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {n.removeprefix("rthv.hv.") for n in names if n.startswith("rthv.hv.")}
    return found


def may_import_table() -> dict[str, set[str] | None]:
    """docs/architecture.md's hv table: module (or package folder) -> what it may import
    inside rthv.hv (None: anything)."""
    text = ARCHITECTURE.read_text()
    section = text[text.index("## Modules of `rthv.hv`") :]
    section = section[: section.index("\n## ", 1)]
    table: dict[str, set[str] | None] = {}
    for cells in table_rows(section)[2:]:
        first, allowed = cells[0], cells[-1]
        for name in re.findall(r"`([\w/]+?)(?:\.py)?`", first):
            everything = allowed == "any of the above"
            table[name] = None if everything else set(re.findall(r"`([\w.]+)`", allowed))
    return table


def test_the_modules_of_hv_import_only_what_the_architecture_allows() -> None:
    """Every import inside rthv.hv is in its module's "may import" cell (a package's own
    modules aside; `scheduling` allows every module of that package)."""
    table = may_import_table()
    hv = SOURCE / "hv"
    wrong: list[str] = []
    for module in sorted(hv.rglob("*.py")):
        relative = module.relative_to(hv)
        if relative == Path("__init__.py"):
            continue
        package = relative.parts[0] if len(relative.parts) > 1 else None
        key = f"{package}/" if package else relative.stem
        assert key in table, f"{relative} is not in the table"
        allowed = table[key]
        if allowed is None:
            continue
        for name in sorted(imports_inside_hv(module)):
            top = name.split(".")[0]
            if top == package or name in allowed or top in allowed:
                continue
            wrong.append(f"{relative} imports {name}")
    assert wrong == []


def test_the_may_import_rule_reads_the_table() -> None:
    """The table parses into the cells it shows: vgic.py's three parts, nothing for costs.py."""
    table = may_import_table()
    assert table["vgic"] == {"vgic_registers", "vgic_interrupt_states", "vgic_list_registers"}
    assert table["costs"] == set() and table["hypervisor"] is None
    assert imports_inside_hv(SOURCE / "hv" / "vgic.py") == table["vgic"]


# --- docs/configuration.md ---------------------------------------------------------------------


def key_rows() -> list[tuple[str, str, list[str]]]:
    """(section, key, cells) of each key table row: section "" for the top level, "vm.image"
    for `[[vm.image]]`; key as the row writes it, brackets of a sub-table dropped."""
    rows = []
    section: str | None = None
    for line in CONFIGURATION.read_text().splitlines():
        heading = re.match(r"#+ (.*)", line)
        if heading:
            title = heading.group(1)
            named = re.fullmatch(r"`\[+([\w.]+)\]+`", title)
            section = "" if title == "Top level" else named.group(1) if named else None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        key = re.fullmatch(r"`\[*([\w.]+?)\]*`", cells[0])
        if section is not None and line.startswith("|") and len(cells) >= 4 and key:
            rows.append((section, key.group(1).rsplit(".", 1)[-1], cells))
    return rows


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class a field holds: itself, or inside ``tuple[M, ...]`` or ``M | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, (model_in(a) for a in get_args(annotation))), None)


def model_keys() -> dict[str, dict[str, Any]]:
    """Section -> {TOML key: the field's default} of the configuration model, every level."""
    out: dict[str, dict[str, Any]] = {}

    def walk(model: type[BaseModel], section: str) -> None:
        keys = out.setdefault(section, {})
        for name, field in model.model_fields.items():
            key = field.alias or name
            keys[key] = field.default
            inner = model_in(field.annotation)
            if inner is not None:
                walk(inner, f"{section}.{key}" if section else key)

    walk(SystemConfig, "")
    return out


def test_every_configuration_key_is_documented_and_every_documented_key_exists() -> None:
    """Each section's table in docs/configuration.md lists exactly the model's keys."""
    documented: dict[str, set[str]] = {}
    for section, key, _ in key_rows():
        documented.setdefault(section, set()).add(key)
    model = {section: set(keys) for section, keys in model_keys().items()}
    assert documented == model
    assert {"", "scheduler", "vm", "vm.image", "vm.linux", "vm.memory"} <= set(documented)


def toml_value(value: object) -> str | None:
    """How the configuration reference writes a plain default, or None if it is not plain."""
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, int):
        return f"`{value:_}`" if value >= 10_000 else f"`{value}`"
    return None


def test_plain_defaults_are_the_documented_ones() -> None:
    """A string, boolean or integer default of the model opens its row's default cell."""
    defaults = {(section, key): cells[2] for section, key, cells in key_rows()}
    checked = 0
    for section, keys in model_keys().items():
        for key, default in keys.items():
            written = toml_value(default)
            if written is not None:
                assert defaults[section, key].startswith(written), (section, key, default)
                checked += 1
    assert checked >= 8


# --- links between documents -------------------------------------------------------------------


def anchors(document: Path) -> set[str]:
    """The anchors of a Markdown file's headings, as GitHub makes them."""
    found = set()
    for line in document.read_text().splitlines():
        heading = re.match(r"#+\s+(.*)", line)
        if heading:
            title = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            found.add(title.replace(" ", "-"))
    return found


def test_relative_links_and_their_anchors_resolve() -> None:
    """Every relative link of the documents names a file that exists, and a heading in it."""
    broken = []
    checked = 0
    for document in LINKED:
        text = re.sub(r"```.*?```", "", document.read_text(), flags=re.DOTALL)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (document.parent / path) if path else document
            checked += 1
            if not linked.exists():
                broken.append(f"{document.relative_to(ROOT)}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{document.relative_to(ROOT)}: {target} (no such heading)")
    assert checked > 20
    assert broken == []


def test_anchors_are_made_as_github_makes_them() -> None:
    """A heading with code and punctuation gives the anchor the documents link to."""
    assert "vmlinux" in anchors(CONFIGURATION)  # "### `[vm.linux]`"
    assert "where-a-run-stops" in anchors(ROOT / "docs" / "timing.md")
