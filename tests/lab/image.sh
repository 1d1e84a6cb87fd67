#!/usr/bin/env bash
# Build the lab's systemd test image for one Debian release, once per recipe.
#
#   tests/lab/image.sh [RELEASE]      (default: bookworm)
#
# Prints the image reference. The tag carries a hash of this file, so a change
# to the recipe builds a new image and an unchanged recipe reuses the cached one.
# The image comes from the Debian mirror this machine's apt already uses (its
# deb822 sources with the release name swapped), so nothing else is contacted.
set -euo pipefail

release=${1:-bookworm}
cache=${FLOPSAR_CACHE:-/var/tmp/hardened-flopsar}
recipe_hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
image="localhost/hardened-flopsar-lab:${release}-${recipe_hash}"

if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

# Packages every lab host needs: systemd as PID 1, Python for Ansible, sshd for
# the controller's SSH path, and the clients the cross-host checks use
# (nc, openssl s_client, curl, ss). Everything the roles install is left out.
packages=(
  systemd systemd-sysv dbus python3 python3-apt iproute2 nftables procps
  ca-certificates iputils-ping netcat-openbsd sudo openssh-server openssl curl
  debconf-utils
)

. /etc/os-release
host_sources=/etc/apt/sources.list.d/debian.sources
[ -r "$host_sources" ] || { echo "image.sh: $host_sources not found (a Debian host is required)" >&2; exit 1; }
work=$(mktemp -d "${cache}/image.XXXXXX")
trap 'rm -rf "$work"' EXIT
sed "s/\b${VERSION_CODENAME}\b/${release}/g" "$host_sources" > "$work/debian.sources"

echo "building $image (mmdebstrap, ${release})" >&2
mmdebstrap --quiet --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
  --customize-hook='truncate -s 0 "$1/etc/machine-id"' \
  --customize-hook='mkdir -p "$1/var/lib/apt/periodic" && touch -d 2000-01-01 "$1/var/lib/apt/periodic/update-success-stamp"' \
  --customize-hook='echo "APT::Update::Post-Invoke-Success {\"touch /var/lib/apt/periodic/update-success-stamp 2>/dev/null || true\";};" > "$1/etc/apt/apt.conf.d/15update-stamp"' \
  --customize-hook='for u in systemd-resolved systemd-timesyncd getty@tty1 console-getty; do ln -sf /dev/null "$1/etc/systemd/system/$u.service"; done' \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*_key*' \
  --customize-hook='printf "[Unit]\nDescription=Generate SSH host keys unique to this lab host\nBefore=ssh.service\nConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\n\n[Service]\nType=oneshot\nExecStart=/usr/bin/ssh-keygen -A\n\n[Install]\nWantedBy=multi-user.target\n" > "$1/etc/systemd/system/lab-ssh-hostkeys.service"' \
  --customize-hook='chroot "$1" systemctl enable lab-ssh-hostkeys.service ssh.service' \
  --customize-hook='printf "PasswordAuthentication no\nPermitRootLogin prohibit-password\nUseDNS no\n" > "$1/etc/ssh/sshd_config.d/lab.conf"' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
  "$release" "$work/rootfs.tar" "$work/debian.sources" >&2

podman import --quiet \
  --change 'CMD ["/sbin/init"]' --change 'ENV container=podman' --change 'STOPSIGNAL SIGRTMIN+3' \
  "$work/rootfs.tar" "$image" >/dev/null
echo "$image"
