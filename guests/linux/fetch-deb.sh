#!/bin/sh
# fetch-deb.sh PACKAGE DIR: download Debian's armhf PACKAGE into DIR and print the .deb's path.
#
# A metapackage (linux-image-armmp) is resolved to the versioned package it depends on
# (linux-image-6.1.0-NN-armmp). The armhf architecture is added to dpkg, and the package lists
# updated, only when apt does not know the package yet. Nothing is installed.
set -eu
package=$1
dir=$2
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

resolve() {
    apt-cache depends --no-recommends --no-suggests "$package:armhf" 2>/dev/null |
        sed -n "s/^  Depends: \(linux-image-[^ <>]*\).*/\1/p" | head -n 1
}

known() {
    apt-cache show "$package:armhf" >/dev/null 2>&1
}

if ! known; then
    if ! dpkg --print-foreign-architectures | grep -qx armhf; then
        echo "adding the armhf architecture to dpkg" >&2
        $sudo dpkg --add-architecture armhf
    fi
    echo "updating the package lists" >&2
    $sudo apt-get update -qq
    known || { echo "fetch-deb.sh: Debian has no package $package:armhf" >&2; exit 1; }
fi
target=$(resolve)
[ -n "$target" ] || target=$package
target=${target%:armhf}
mkdir -p "$dir"
# apt drops privileges to _apt for downloads: let it write here, as apt-get download expects.
chmod 0777 "$dir" 2>/dev/null || true
(cd "$dir" && apt-get download -qq "$target:armhf" >&2)
ls "$dir/${target}_"*_armhf.deb | head -n 1
