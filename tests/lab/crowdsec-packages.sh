#!/usr/bin/env bash
# Fetch Debian's crowdsec and crowdsec-firewall-bouncer packages, with the dependencies the lab
# image lacks, once, into a cache directory on this (CI) machine. The crowdsec scenario then
# installs them from the controller on a host whose outbound traffic is blocked, as an
# air-gapped site would.
#
#   tests/lab/crowdsec-packages.sh IMAGE [DIR]
#
# DIR defaults to $FLOPSAR_CACHE/packages/crowdsec. The download runs in a throwaway container
# of IMAGE (the lab image), so "what the image lacks" is exactly what apt would fetch there.
# Prints DIR. A second call with the same image reuses the cache.
set -euo pipefail

image=${1:?usage: $0 IMAGE [DIR]}
cache=${FLOPSAR_CACHE:-/var/tmp/hardened-flopsar}
dir=${2:-$cache/packages/crowdsec}
packages=(crowdsec crowdsec-firewall-bouncer)

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

stamp="$dir/.image"
if [ "$(cat "$stamp" 2>/dev/null)" = "$image" ] && ls "$dir"/*.deb >/dev/null 2>&1; then
  echo "$dir"
  exit 0
fi

work=$(mktemp -d "$cache/crowdsec-debs.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "crowdsec-packages: downloading ${packages[*]} and missing dependencies for $image" >&2
podman run --rm --label lab_scenario=crowdsec --name "fl-cs-pkgs-$$" \
  -v "$work:/out" "$image" \
  bash -c "set -e; export DEBIAN_FRONTEND=noninteractive;
           apt-get -qq update;
           apt-get -qq install --download-only --no-install-recommends -y ${packages[*]} >/dev/null;
           cp /var/cache/apt/archives/*.deb /out/" >&2

rm -f "$dir"/*.deb
mv "$work"/*.deb "$dir"/
echo "$image" > "$stamp"
echo "$dir"
