"""A small Flattened Devicetree (DTB, format version 17) writer.

Layout of a blob (Devicetree Specification v0.4, chapter 5): a 40-byte header, the memory
reservation block (8-byte aligned, pairs of big-endian u64 address/size ended by a zero pair),
the structure block (4-byte aligned tokens: BEGIN_NODE + NUL-terminated name padded to 4,
PROP + length + name offset + value padded to 4, END_NODE, and a final END) and the strings
block (NUL-terminated property names, each stored once).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

FDT_MAGIC: Final = 0xD00DFEED
FDT_VERSION: Final = 17
FDT_LAST_COMPATIBLE_VERSION: Final = 16
FDT_BEGIN_NODE: Final = 0x1
FDT_END_NODE: Final = 0x2
FDT_PROP: Final = 0x3
FDT_END: Final = 0x9
HEADER_SIZE: Final = 40

_U32_MAX: Final = (1 << 32) - 1
_U64_MAX: Final = (1 << 64) - 1
_NODE_NAME: Final = re.compile(r"[A-Za-z0-9,._+-]{1,31}(@[A-Za-z0-9,._+-]+)?")
_PROPERTY_NAME: Final = re.compile(r"[A-Za-z0-9,._+?#-]{1,31}")


class FdtError(ValueError):
    """An invalid node or property name, a duplicate, or a value out of range."""


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) & -alignment


def _pad(data: bytes, alignment: int = 4) -> bytes:
    return data + bytes(_align(len(data), alignment) - len(data))


def u32_cells(*values: int) -> bytes:
    """Big-endian 32-bit cells."""
    for value in values:
        if not 0 <= value <= _U32_MAX:
            raise FdtError(f"cell value {value:#x} does not fit in 32 bits")
    return struct.pack(f">{len(values)}I", *values)


def u64_cells(*values: int) -> bytes:
    """Big-endian 64-bit values (two cells each)."""
    for value in values:
        if not 0 <= value <= _U64_MAX:
            raise FdtError(f"value {value:#x} does not fit in 64 bits")
    return struct.pack(f">{len(values)}Q", *values)


def string_list(*values: str) -> bytes:
    """NUL-terminated strings, one after another (a single string is a list of one)."""
    encoded = bytearray()
    for value in values:
        if "\0" in value:
            raise FdtError(f"string {value!r} contains a NUL character")
        encoded += value.encode() + b"\0"
    return bytes(encoded)


def address_cells(value: int, cells: int) -> bytes:
    """``value`` as ``cells`` 32-bit cells (an address or size in a ``reg`` property)."""
    if cells not in (1, 2):
        raise FdtError(f"unsupported cell count {cells}")
    if value >> (32 * cells):
        raise FdtError(f"{value:#x} does not fit in {cells} cell(s)")
    return u64_cells(value) if cells == 2 else u32_cells(value)


@dataclass
class FdtNode:
    """A node: a name (``name@unit``), ordered properties and ordered children."""

    name: str
    properties: dict[str, bytes] = field(default_factory=dict)
    children: list[FdtNode] = field(default_factory=list)

    def add_node(self, name: str) -> FdtNode:
        """A new, empty child node called ``name``."""
        if not _NODE_NAME.fullmatch(name):
            raise FdtError(f"invalid node name {name!r}")
        if any(child.name == name for child in self.children):
            raise FdtError(f"node {self.name or '/'} already has a child {name!r}")
        child = FdtNode(name)
        self.children.append(child)
        return child

    def child(self, name: str) -> FdtNode:
        """The existing child called ``name``."""
        for child in self.children:
            if child.name == name:
                return child
        raise FdtError(f"node {self.name or '/'} has no child {name!r}")

    def set_bytes(self, name: str, value: bytes) -> FdtNode:
        """Set a property to raw bytes (replacing any previous value); returns the node."""
        if not _PROPERTY_NAME.fullmatch(name):
            raise FdtError(f"invalid property name {name!r}")
        self.properties[name] = bytes(value)
        return self

    def set_empty(self, name: str) -> FdtNode:
        """Set a boolean (empty) property, e.g. ``interrupt-controller``."""
        return self.set_bytes(name, b"")

    def set_u32(self, name: str, *cells: int) -> FdtNode:
        """Set a property of one or more 32-bit cells."""
        return self.set_bytes(name, u32_cells(*cells))

    def set_u64(self, name: str, *values: int) -> FdtNode:
        """Set a property of one or more 64-bit values."""
        return self.set_bytes(name, u64_cells(*values))

    def set_string(self, name: str, value: str) -> FdtNode:
        """Set a string property."""
        return self.set_bytes(name, string_list(value))

    def set_strings(self, name: str, values: Iterable[str]) -> FdtNode:
        """Set a string-list property (e.g. ``compatible``)."""
        return self.set_bytes(name, string_list(*values))


class StringTable:
    """The strings block: each distinct property name once, in first-use order."""

    def __init__(self) -> None:
        self._offsets: dict[str, int] = {}
        self._data = bytearray()

    def offset(self, name: str) -> int:
        """Offset of ``name`` in the block, adding it on first use."""
        found = self._offsets.get(name)
        if found is None:
            found = len(self._data)
            self._offsets[name] = found
            self._data += string_list(name)
        return found

    def to_bytes(self) -> bytes:
        """The block's bytes."""
        return bytes(self._data)


@dataclass
class FlattenedDeviceTree:
    """A whole tree: root node, memory reservations, phandle allocation, serialisation."""

    root: FdtNode = field(default_factory=lambda: FdtNode(""))
    reservations: list[tuple[int, int]] = field(default_factory=list)
    boot_cpuid_phys: int = 0
    _next_phandle: int = 1

    def reserve(self, address: int, size: int) -> None:
        """Add a memory reservation block entry."""
        u64_cells(address, size)
        if size <= 0:
            raise FdtError("a memory reservation needs a positive size")
        self.reservations.append((address, size))

    def phandle(self, node: FdtNode) -> int:
        """The node's phandle, assigning the next free one (and its property) on first use."""
        existing = node.properties.get("phandle")
        if existing is not None:
            return int.from_bytes(existing, "big")
        value = self._next_phandle
        self._next_phandle += 1
        node.set_u32("phandle", value)
        return value

    def to_bytes(self, *, free_space: int = 0) -> bytes:
        """The DTB: header, reservation block, structure block, strings block, then
        ``free_space`` zero bytes counted in ``totalsize`` (room to edit the tree in place,
        as ``dtc -p`` leaves)."""
        if free_space < 0:
            raise FdtError(f"free space cannot be negative: {free_space}")
        strings = StringTable()
        structure = bytearray()
        self._emit(self.root, structure, strings)
        structure += u32_cells(FDT_END)
        reservations = b"".join(u64_cells(a, s) for a, s in self.reservations) + u64_cells(0, 0)
        off_mem_rsvmap = _align(HEADER_SIZE, 8)
        off_dt_struct = _align(off_mem_rsvmap + len(reservations), 4)
        off_dt_strings = off_dt_struct + len(structure)
        string_bytes = strings.to_bytes()
        used = off_dt_strings + len(string_bytes)
        total = used + free_space
        header = u32_cells(
            FDT_MAGIC,
            total,
            off_dt_struct,
            off_dt_strings,
            off_mem_rsvmap,
            FDT_VERSION,
            FDT_LAST_COMPATIBLE_VERSION,
            self.boot_cpuid_phys,
            len(string_bytes),
            len(structure),
        )
        blob = bytearray(total)
        blob[:HEADER_SIZE] = header
        blob[off_mem_rsvmap : off_mem_rsvmap + len(reservations)] = reservations
        blob[off_dt_struct:off_dt_strings] = structure
        blob[off_dt_strings:used] = string_bytes
        return bytes(blob)

    def _emit(self, node: FdtNode, out: bytearray, strings: StringTable) -> None:
        out += u32_cells(FDT_BEGIN_NODE) + _pad(node.name.encode() + b"\0")
        for name, value in node.properties.items():
            out += u32_cells(FDT_PROP, len(value), strings.offset(name)) + _pad(value)
        for child in node.children:
            self._emit(child, out, strings)
        out += u32_cells(FDT_END_NODE)
