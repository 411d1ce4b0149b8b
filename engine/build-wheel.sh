#!/bin/sh
# Build rthv's Unicorn: the 2.1.4 source release, checked against its sha256, with
# engine/unicorn-code-pages.patch, engine/unicorn-inline-counter.patch and
# engine/unicorn-short-block.patch applied in that order, the ARM target only, packed as the
# wheel unicorn-2.1.4+rthv3 (which satisfies rthv's `unicorn==2.1.4`).
#
#   engine/build-wheel.sh PIP     prints the wheel's path (built once, then taken from the cache)
#
# PIP is the pip of the virtual environment that will install it. The wheel is cached in
# $RTHV_ENGINE_CACHE (default ~/.cache/rthv/engine) under a key made of the source's sha256,
# the patches and this script, so other checkouts and reruns do not build it again.
set -eu

UNICORN_VERSION=2.1.4
UNICORN_SHA256=00567a70e323f749b419cd86bee4f9115beab7ebba32194581c090cbb7c59cff
LOCAL_VERSION=rthv3

pip=$1
here=$(cd "$(dirname "$0")" && pwd)
patches="unicorn-code-pages.patch unicorn-inline-counter.patch unicorn-short-block.patch" # in engine/, applied in order
# shellcheck disable=SC2086 # the names hold no spaces
key=$( (cd "$here" && cat $patches) | cat - "$0" | sha256sum | cut -c1-16)
cache=${RTHV_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rthv/engine}/$UNICORN_SHA256-$key

found=$(ls "$cache"/unicorn-*.whl 2>/dev/null | head -n 1 || true)
if [ -n "$found" ]; then
    echo "$found"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
echo "building Unicorn $UNICORN_VERSION+$LOCAL_VERSION (ARM only) in $work" >&2
"$pip" download -q --no-deps --no-binary :all: -d "$work" "unicorn==$UNICORN_VERSION" >&2
sdist=$work/unicorn-$UNICORN_VERSION.tar.gz
echo "$UNICORN_SHA256  $sdist" | sha256sum -c --quiet - >&2 || {
    echo "error: $sdist does not have the expected sha256 $UNICORN_SHA256" >&2
    exit 1
}
tar -xzf "$sdist" -C "$work"
source_dir=$work/unicorn-$UNICORN_VERSION
for name in $patches; do
    patch -s -p1 -d "$source_dir" < "$here/$name" >&2
done
cmake -S "$source_dir/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DUNICORN_ARCH=arm \
    -DUNICORN_BUILD_TESTS=off >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" -j "$(nproc)" >"$work/build.log" 2>&1 || {
    tail -n 40 "$work/build.log" >&2
    exit 1
}
# The sdist's setup.py packs a library found in prebuilt/ instead of building its own.
cp "$work/build/libunicorn.so.2" "$source_dir/prebuilt/"
SETUPTOOLS_SCM_PRETEND_VERSION=$UNICORN_VERSION+$LOCAL_VERSION \
    "$pip" wheel -q --no-deps -w "$work/wheel" "$source_dir" >"$work/wheel.log" 2>&1 || {
    cat "$work/wheel.log" >&2
    exit 1
}
mkdir -p "$cache"
cp "$work"/wheel/unicorn-*.whl "$cache/"
echo "built in $(($(date +%s) - start)) s: $(ls "$cache"/unicorn-*.whl)" >&2
ls "$cache"/unicorn-*.whl | head -n 1
