#!/bin/sh
# Installs the Debian packages the project needs, and nothing when they are
# all there already.  Called by "make deps"; uses sudo when not root.

set -eu

packages="
    gcc make pkg-config
    nginx-core nginx-dev
    liblmdb-dev lmdb-utils
    libjansson-dev libcmocka-dev
    libssl-dev libpcre2-dev zlib1g-dev
    clang libclang-rt-14-dev
    python3 curl wrk openssl
    chromium valgrind
    $*
"

missing=
for p in $packages; do
    if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null \
         | grep -q 'install ok installed'
    then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "deps: installing$missing"

sudo=
if [ "$(id -u)" != 0 ]; then
    sudo=sudo
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null

# Debian starts the packaged nginx on port 80; the project runs its own.
if [ -x /usr/sbin/invoke-rc.d ] && pgrep -x nginx >/dev/null 2>&1; then
    $sudo /usr/sbin/invoke-rc.d nginx stop >/dev/null 2>&1 || true
fi
