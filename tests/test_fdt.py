"""The DTB writer: header, alignment, string table, and what dtc decodes from its blobs."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from rthv.board.fdt import (
    FDT_MAGIC,
    HEADER_SIZE,
    FdtError,
    FdtNode,
    FlattenedDeviceTree,
    address_cells,
    string_list,
    u32_cells,
)

HEADER_FIELDS = (
    "magic",
    "totalsize",
    "off_dt_struct",
    "off_dt_strings",
    "off_mem_rsvmap",
    "version",
    "last_comp_version",
    "boot_cpuid_phys",
    "size_dt_strings",
    "size_dt_struct",
)


def header(blob: bytes) -> dict[str, int]:
    """The ten big-endian header words by name."""
    return dict(zip(HEADER_FIELDS, struct.unpack(">10I", blob[:HEADER_SIZE]), strict=True))


def decode(blob: bytes, tmp_path: Path) -> str:
    """``dtc -I dtb -O dts`` of ``blob``; dtc must not warn about it."""
    path = tmp_path / "tree.dtb"
    path.write_bytes(blob)
    done = subprocess.run(
        ["dtc", "-I", "dtb", "-O", "dts", str(path)], capture_output=True, text=True, check=True
    )
    assert done.stderr == ""
    return done.stdout


def sample_tree() -> FlattenedDeviceTree:
    """A tree using every kind of property, odd-length names and values, and a phandle."""
    tree = FlattenedDeviceTree()
    root = tree.root
    root.set_u32("#address-cells", 2).set_u32("#size-cells", 1)
    root.set_string("model", "rthv test")
    provider = root.add_node("provider@1000")
    provider.set_strings("compatible", ["vendor,thing-2", "vendor,thing"])
    provider.set_bytes("reg", address_cells(0x1000, 2) + address_cells(0x100, 1))
    provider.set_u32("#thing-cells", 0)
    user = root.add_node("user")
    user.set_u32("things", tree.phandle(provider), 7)
    user.set_u64("big", 0x1_2345_6789)
    user.set_bytes("raw", b"\x01\x02\x03")
    user.set_empty("flag")
    user.set_string("compatible", "vendor,user")
    user.add_node("abc").set_bytes("five", b"\xaa\xbb\xcc\xdd\xee")
    tree.reserve(0x4800_0000, 0x1000)
    return tree


def test_header_fields_and_block_layout() -> None:
    """Magic, version 17 (compatible with 16), sizes and offsets describe the blob exactly."""
    tree = sample_tree()
    tree.boot_cpuid_phys = 3
    blob = tree.to_bytes()
    fields = header(blob)
    assert fields["magic"] == FDT_MAGIC
    assert (fields["version"], fields["last_comp_version"]) == (17, 16)
    assert fields["boot_cpuid_phys"] == 3
    assert fields["totalsize"] == len(blob)
    assert fields["off_mem_rsvmap"] == HEADER_SIZE and fields["off_mem_rsvmap"] % 8 == 0
    assert fields["off_dt_struct"] == HEADER_SIZE + 2 * 16  # one entry + the terminator
    assert fields["off_dt_struct"] % 4 == 0
    assert fields["off_dt_strings"] == fields["off_dt_struct"] + fields["size_dt_struct"]
    assert fields["off_dt_strings"] + fields["size_dt_strings"] == len(blob)
    assert fields["size_dt_struct"] % 4 == 0
    start, end = fields["off_dt_struct"], fields["off_dt_strings"]
    assert struct.unpack(">I", blob[start : start + 4]) == (1,)  # FDT_BEGIN_NODE
    assert struct.unpack(">I", blob[end - 4 : end]) == (9,)  # FDT_END


def test_reservation_block_entries_and_terminator() -> None:
    """Each reservation is two big-endian u64s; a zero pair ends the block."""
    blob = sample_tree().to_bytes()
    entries = struct.unpack(">4Q", blob[HEADER_SIZE : HEADER_SIZE + 32])
    assert entries == (0x4800_0000, 0x1000, 0, 0)


def test_strings_are_stored_once() -> None:
    """Property names used by several nodes appear once in the strings block."""
    blob = sample_tree().to_bytes()
    fields = header(blob)
    start = fields["off_dt_strings"]
    strings = blob[start : start + fields["size_dt_strings"]].split(b"\0")[:-1]
    assert strings.count(b"compatible") == 1
    assert len(strings) == len(set(strings))
    expected = {
        b"#address-cells",
        b"#size-cells",
        b"model",
        b"compatible",
        b"reg",
        b"#thing-cells",
        b"phandle",
        b"things",
        b"big",
        b"raw",
        b"flag",
        b"five",
    }
    assert set(strings) == expected
    assert fields["size_dt_strings"] == sum(len(s) + 1 for s in expected)


def test_dtc_decodes_every_property_kind(tmp_path: Path) -> None:
    """dtc reads back cells, 64-bit values, strings, string lists, bytes, flags, phandles."""
    text = decode(sample_tree().to_bytes(), tmp_path)
    assert "/memreserve/\t0x0000000048000000 0x0000000000001000;" in text
    assert 'model = "rthv test";' in text
    assert "#size-cells = <0x01>;" in text
    assert "provider@1000 {" in text
    assert "reg = <0x00 0x1000 0x100>;" in text
    assert 'compatible = "vendor,thing-2\\0vendor,thing";' in text
    assert "phandle = <0x01>;" in text
    assert "things = <0x01 0x07>;" in text
    assert "big = <0x01 0x23456789>;" in text
    assert "raw = [01 02 03];" in text
    assert "flag;" in text
    assert 'compatible = "vendor,user";' in text
    assert "five = [aa bb cc dd ee];" in text
    assert text.index("user {") < text.index("abc {")


def test_dtc_reencodes_the_blob_byte_for_byte(tmp_path: Path) -> None:
    """dtc, turning our blob into a blob again, produces exactly the same bytes."""
    source = tmp_path / "ours.dtb"
    again = tmp_path / "dtc.dtb"
    source.write_bytes(sample_tree().to_bytes())
    subprocess.run(
        ["dtc", "-I", "dtb", "-O", "dtb", "-o", str(again), str(source)],
        check=True,
        capture_output=True,
    )
    assert again.read_bytes() == source.read_bytes()


@pytest.mark.parametrize("length", range(1, 9))
def test_names_and_values_of_every_length_keep_alignment(length: int, tmp_path: Path) -> None:
    """Node names and property values of any length are padded so that tokens stay aligned."""
    tree = FlattenedDeviceTree()
    node = tree.root.add_node("n" * length)
    node.set_bytes("v", bytes(range(1, length + 1)))
    node.set_u32("after", 0xCAFE)
    blob = tree.to_bytes()
    assert header(blob)["size_dt_struct"] % 4 == 0
    text = decode(blob, tmp_path)
    assert f"{'n' * length} {{" in text
    assert "after = <0xcafe>;" in text


def test_phandle_is_allocated_once_per_node() -> None:
    """Asking twice for a node's phandle gives the same number; other nodes get the next."""
    tree = FlattenedDeviceTree()
    first = tree.root.add_node("a")
    second = tree.root.add_node("b")
    assert tree.phandle(first) == 1
    assert tree.phandle(first) == 1
    assert tree.phandle(second) == 2
    assert first.properties["phandle"] == u32_cells(1)


def test_encoders() -> None:
    """Cells are big-endian; string lists NUL-terminate each string; reg cells are 1 or 2."""
    assert u32_cells(1, 0xFFFFFFFF) == b"\x00\x00\x00\x01\xff\xff\xff\xff"
    assert string_list("a", "bc") == b"a\0bc\0"
    assert address_cells(0x4000_0000, 1) == b"\x40\x00\x00\x00"
    assert address_cells(0x4000_0000, 2) == b"\x00\x00\x00\x00\x40\x00\x00\x00"


@pytest.mark.parametrize(
    "bad",
    [
        lambda: FdtNode("").add_node("has space"),
        lambda: FdtNode("").add_node("x" * 32),
        lambda: FdtNode("").set_u32("bad name", 1),
        lambda: FdtNode("").set_u32("cells", 1 << 32),
        lambda: FdtNode("").set_u32("cells", -1),
        lambda: FdtNode("").set_string("s", "nul\0inside"),
        lambda: address_cells(1 << 32, 1),
        lambda: address_cells(1, 3),
        lambda: FlattenedDeviceTree().reserve(0x1000, 0),
        lambda: FdtNode("").child("missing"),
    ],
)
def test_invalid_input_is_rejected(bad: object) -> None:
    """Bad names, out-of-range values and NULs inside strings raise FdtError."""
    assert callable(bad)
    with pytest.raises(FdtError):
        bad()


def test_duplicate_child_is_rejected() -> None:
    """Two children of one node cannot share a name."""
    root = FdtNode("")
    root.add_node("same@0")
    with pytest.raises(FdtError, match="already has a child"):
        root.add_node("same@0")


def test_free_space_is_zeroed_room_counted_in_totalsize(tmp_path: Path) -> None:
    """``free_space`` adds zero bytes after the strings, inside totalsize; the tree is the same."""
    packed = sample_tree().to_bytes()
    roomy = sample_tree().to_bytes(free_space=0x3000)
    assert header(roomy)["totalsize"] == len(roomy) == len(packed) + 0x3000
    assert roomy[len(packed) :] == bytes(0x3000)
    assert roomy[8 : len(packed)] == packed[8:]  # only totalsize differs in the header
    assert decode(roomy, tmp_path) == decode(packed, tmp_path)
    with pytest.raises(FdtError, match="negative"):
        sample_tree().to_bytes(free_space=-1)
