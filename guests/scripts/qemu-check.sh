#!/bin/sh
# Cross-check the guests on QEMU: run each image and compare its console output with
# expected/qemu/<board>/<name>.txt. LR values printed by the exceptions guest depend
# on code layout, so "lr=0x........" is masked on both sides (the guest's own
# "check=ok" verifies them against its symbols).
#
#   scripts/qemu-check.sh [build-dir]        (make qemu-check)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
run=$here/scripts/qemu-run.sh
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

mask() { sed -E 's/lr=0x[0-9a-f]{8}/lr=0x......../' "$1"; }

# check <label> <machine> <image> <expected-file>
check() {
    "$run" "$2" "$3" 60 > "$tmp/out"
    rc=$?
    mask "$4" > "$tmp/want"
    mask "$tmp/out" > "$tmp/got"
    if [ $rc -eq 0 ] && cmp -s "$tmp/want" "$tmp/got"; then
        echo "PASS $1"
    else
        echo "FAIL $1"
        diff -u "$tmp/want" "$tmp/got"
        fail=1
    fi
}

for board in vexpress-a15 virt; do
    for exp in "$here"/expected/qemu/$board/*.txt; do
        name=$(basename "$exp" .txt)
        check "$board/$name" "$board" "$build/$board/$name.elf" "$exp"
    done
done
# Hyp-mode entry (start-up drops to SVC through ERET):
#  - vexpress-a15 without TrustZone: the CPU resets into Hyp;
#  - virt with EL2, raw binary: QEMU's Linux boot path enters in Hyp at RAM + 0x10000.
check "vexpress-a15,secure=off/hello (Hyp entry)" vexpress-a15,secure=off \
    "$build/vexpress-a15/hello.elf" "$here/expected/qemu/vexpress-a15/hello.txt"
check "virt,virtualization=on/hello.bin (Hyp entry, raw image)" virt,virtualization=on \
    "$build/virt/hello.bin" "$here/expected/qemu/virt/hello.txt"
exit $fail
