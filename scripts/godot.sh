#!/usr/bin/env bash
# Runs Godot 4 with the given arguments, from the repository root.
#
#   scripts/godot.sh [--xvfb] GODOT_ARGS...
#
# With $GODOT set, that binary is used as it is. Otherwise Godot 4 comes from Debian's packages
# (the `sid` suite ships 4.6; Debian 12's own Godot is 3.x) installed into a debootstrap root that
# is built once and cached in $VAESTUDIO_GODOT_ROOT (default: ~/.cache/vaestudio/godot-root).
# Each run gets a private mount namespace in which /proc is mounted and the repository and /tmp are
# bind-mounted at the same absolute paths inside the root, so paths mean the same inside and out,
# and every mount vanishes with the process: the cached root never keeps one (provisioning's
# chroot commands run the same way). --xvfb runs Godot under a virtual X screen (for screenshots).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
xvfb=0
if [ "${1:-}" = "--xvfb" ]; then xvfb=1; shift; fi

if [ -n "${GODOT:-}" ]; then
    cd "$repo"
    if [ "$xvfb" = 1 ]; then
        exec xvfb-run -a -s "-screen 0 1280x720x24" "$GODOT" "$@"
    fi
    exec "$GODOT" "$@"
fi

root=${VAESTUDIO_GODOT_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/vaestudio/godot-root}
packages="godot xvfb xauth libgl1-mesa-dri libgl1 libegl1 libglx-mesa0"

in_root() {
    # Runs a command chrooted into the root, in a private mount namespace with /proc mounted
    # (apt and Godot need it); the mount ends with the namespace, never left on the cached root.
    unshare --mount --propagation private -- bash -c '
        set -e
        root=$1; shift
        mount -t proc proc "$root/proc"
        exec chroot "$root" "$@"
    ' bash "$root" "$@"
}

provision() {
    # Builds the root when it is missing or broken. Serialised by a lock so parallel tests
    # wait for one build instead of racing.
    mkdir -p "$(dirname "$root")"
    exec 9>"$root.lock"
    flock 9
    # Earlier versions of this script mounted /proc on the root outside any namespace, where it
    # stayed; take such a mount down (runs of this version keep theirs inside their namespace).
    if mountpoint -q "$root/proc" 2>/dev/null; then
        umount "$root/proc" 2>/dev/null || umount -l "$root/proc"
    fi
    if [ -x "$root/usr/bin/godot" ] && [ -f "$root/.vaestudio-ready" ]; then
        return
    fi
    echo "godot.sh: provisioning Godot 4 into $root (one time, about a minute)" >&2
    if ! command -v debootstrap >/dev/null; then
        apt-get update -qq >&2
        apt-get install -y -qq debootstrap >&2
    fi
    rm -rf "$root"
    debootstrap --variant=minbase sid "$root" >&2 || {
        echo "godot.sh: debootstrap of Debian sid into $root failed (see above)" >&2; exit 3; }
    in_root apt-get install -y -qq --no-install-recommends $packages >&2 || {
        echo "godot.sh: installing '$packages' from Debian sid failed (see above)" >&2; exit 3; }
    in_root godot --version >/dev/null 2>&1 || {
        echo "godot.sh: godot installed but does not start" >&2; exit 3; }
    touch "$root/.vaestudio-ready"
}

provision
exec 9>&-  # release the provisioning lock: Godot and Xvfb must not inherit (and hold) it
if [ "${1:-}" = "--provision-only" ]; then
    in_root godot --version
    exit 0
fi

inner=(godot "$@")
if [ "$xvfb" = 1 ]; then
    inner=(xvfb-run -a -s "-screen 0 1280x720x24" godot "$@")
fi
cwd=$(pwd)
# shellcheck disable=SC2016
exec unshare --mount --propagation private -- bash -c '
    set -e
    root=$1; repo=$2; cwd=$3; shift 3
    mkdir -p "$root$repo" "$root/tmp" "$root/dev" "$root/proc"
    mount -t proc proc "$root/proc"
    mount --bind "$repo" "$root$repo"
    mount --bind /tmp "$root/tmp"
    mountpoint -q "$root/dev" || mount --rbind /dev "$root/dev"
    case "$cwd" in "$repo"*) ;; *) cwd=$repo ;; esac
    exec chroot "$root" /usr/bin/env HOME=/root LANG=C.UTF-8 bash -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
' bash "$root" "$repo" "$cwd" "${inner[@]}"
