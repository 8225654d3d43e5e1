# scripts/setup.sh: sourced by scripts/run and scripts/test. Installs the
# Debian packages chaff needs (only those missing, quietly) and builds
# build/chaff when it is missing or stale.
# Environment: CHAFF_BUILD_DIR (default build), CHAFF_CMAKE_ARGS (extra
# cmake arguments, e.g. -DCHAFF_WERROR=ON), CHAFF_EXTRA_PACKAGES (more
# Debian packages to install the same way), CHAFF_SETUP_NO_BUILD=1 (install
# only; the caller builds).

chaff_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
chaff_build=${CHAFF_BUILD_DIR:-$chaff_root/build}
case $chaff_build in /*) ;; *) chaff_build=$chaff_root/$chaff_build ;; esac

chaff_packages="build-essential cmake pkg-config libsvm-dev libutf8proc-dev libsqlite3-dev
  libcmocka-dev libjansson-dev libcsv-dev zlib1g-dev nettle-dev sqlite3 python3
  parallel groff-base time ${CHAFF_EXTRA_PACKAGES:-}"

chaff_install_packages() {
    local missing=() p
    for p in $chaff_packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "chaff: installing Debian packages: ${missing[*]}" >&2
    local sudo=
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "chaff: need root or sudo to install ${missing[*]}" >&2; return 1; }
        sudo=sudo
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null || { echo "chaff: apt-get update failed" >&2; return 1; }
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { echo "chaff: apt-get install ${missing[*]} failed" >&2; return 1; }
}

chaff_build() {
    if [ ! -f "$chaff_build/CMakeCache.txt" ]; then
        cmake -S "$chaff_root" -B "$chaff_build" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${CHAFF_CMAKE_ARGS:-} >/dev/null \
            || { echo "chaff: cmake configure failed" >&2; return 1; }
    elif [ -n "${CHAFF_CMAKE_ARGS:-}" ]; then
        cmake "$chaff_build" ${CHAFF_CMAKE_ARGS:-} >/dev/null || return 1
    fi
    # make decides what is stale; quiet unless something fails
    local log
    log=$(cmake --build "$chaff_build" -j"$(nproc)" 2>&1) || { echo "$log" >&2; echo "chaff: build failed" >&2; return 1; }
}

chaff_install_packages && { [ "${CHAFF_SETUP_NO_BUILD:-}" = 1 ] || chaff_build; }
