#!/usr/bin/env bash
# Build the Flopsar Server TEST STAND-IN as a vendor-like Debian package.
#
#   tests/standin/build-deb.sh OUTDIR [VERSION [broken]]
#
# Writes OUTDIR/flopsar-server-VERSION+standin.all.deb (VERSION defaults to 7.0.0) and prints its
# path (last line of stdout). With "broken", the package's program exits with an error at start
# (OUTDIR/flopsar-server-VERSION+standin.broken.all.deb): a TEST ARTIFACT for the upgrade rollback
# scenarios, not a behaviour of the product or of the stand-in.
# The package holds /usr/bin/flopsar-server and its README, nothing else: the system user, the
# directories, settings.toml and the systemd unit are the role's job, as with the vendor's package.
# Fixed mtimes, owners and SOURCE_DATE_EPOCH make repeated builds byte-identical.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 3 ] || { [ $# -eq 3 ] && [ "$3" != broken ]; }; then
  echo "usage: $0 OUTDIR [VERSION [broken]]" >&2
  exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
outdir=$1
version=${2:-7.0.0}+standin
broken=${3:-}
if ! [[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]]; then
  echo "$0: not a Debian version: $version" >&2
  exit 2
fi
deb="$outdir/flopsar-server-$version${broken:+.broken}.all.deb"
export SOURCE_DATE_EPOCH=1767225600 # 2026-01-01T00:00:00Z

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# Every directory explicitly 0755, whatever the caller's umask.
chmod 0755 "$root"
for dir in DEBIAN usr usr/bin usr/share usr/share/doc usr/share/doc/flopsar-server; do
  install -d -m 0755 "$root/$dir"
done
# The source has no shebang (it is also imported by the unit tests); the installed program gets one.
if [ -n "$broken" ]; then
  printf '#!/bin/sh\necho "flopsar-server %s: TEST ARTIFACT, exits at start" >&2\nexit 70\n' "$version" >"$root/usr/bin/flopsar-server"
else
  { echo '#!/usr/bin/python3'; cat "$here/flopsar_standin.py"; } >"$root/usr/bin/flopsar-server"
fi
chmod 0755 "$root/usr/bin/flopsar-server"
install -m 0644 "$here/README.md" "$root/usr/share/doc/flopsar-server/README.md"

installed_size=$(du -s -k --apparent-size "$root/usr" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: flopsar-server
Version: $version
Architecture: all
Maintainer: hardened.flopsar test suite <tests@hardened-flopsar.invalid>
Installed-Size: $installed_size
Depends: python3 (>= 3.11)
Section: misc
Priority: optional
Description: Flopsar Server 7 TEST STAND-IN (not the product)
 A small program that behaves as the public Flopsar 7 documentation describes
 (settings.toml validation and the network listeners), used by the
 hardened.flopsar Ansible collection's tests in place of the proprietary
 Flopsar Server. It is not the Flopsar Server and has none of its functions.
EOF
chmod 0644 "$root/DEBIAN/control"

find "$root" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$outdir"
# Built beside the target and renamed: a concurrent run never installs a half-written package.
tmp="$outdir/.flopsar-server.$$.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$tmp" >/dev/null
mv -f "$tmp" "$deb"
echo "$deb"
