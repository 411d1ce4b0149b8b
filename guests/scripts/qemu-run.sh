#!/bin/sh
# Run one guest image on QEMU and print its console output up to and including the
# first line ending in " done" (guests never exit: QEMU is killed once it is seen, or
# after the timeout). Exit status 0 if the end marker was seen, 1 on timeout.
#
#   scripts/qemu-run.sh <machine> <image.elf|image.bin> [timeout-seconds]
#   e.g. scripts/qemu-run.sh vexpress-a15 build/vexpress-a15/hello.elf
set -u
machine=$1
image=$2
limit=${3:-30}
qemu=${QEMU:-qemu-system-arm}

out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM

"$qemu" -M "$machine" -m 128M -audiodev none,id=snd0 -display none -monitor none \
    -serial "file:$out" -kernel "$image" 2>/dev/null &
pid=$!

status=1
ticks=0
while [ "$ticks" -lt $((limit * 20)) ]; do
    if grep -q ' done$' "$out" 2>/dev/null; then
        status=0
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        break
    fi
    sleep 0.05
    ticks=$((ticks + 1))
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
sed -n '1,/ done$/p' "$out"
exit $status
