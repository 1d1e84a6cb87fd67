#!/usr/bin/env bash
# Everything the test suite needs on a fresh Debian 12 machine, idempotent:
#
#   tests/lab/bootstrap.sh host     apt packages and the podman configuration
#   tests/lab/bootstrap.sh venv     the pinned virtualenv (requirements.txt)
#   tests/lab/bootstrap.sh sanity-venv  the virtualenv ansible-test sanity runs in
#   tests/lab/bootstrap.sh publish-venv the virtualenv of galaxy-importer and antsibull-docs (tests/requirements-publish.txt)
#   tests/lab/bootstrap.sh image    the systemd lab image (tests/lab/image.sh)
#   tests/lab/bootstrap.sh all      all three
#
# Each step does nothing when its result is already there and current.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${FLOPSAR_CACHE:-/var/tmp/hardened-flopsar}
venv="$cache/venv"
mkdir -p "$cache"

log() { printf '[bootstrap] %s\n' "$*" >&2; }
# pip on these machines warns about configured local indexes that do not exist; keep the rest.
pip_quiet() { "$@" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2); }

host_packages=(podman runc mmdebstrap openssh-client dpkg-dev python3-venv)

step_host() {
  local missing=()
  for p in "${host_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing host packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # podman's defaults do not fit this machine (../shared/reference/test-hosts.md, section 5):
  # no CAP_SYS_RESOURCE, so container ulimits may not exceed podman's own, and crun
  # refuses the hybrid cgroup layout, so runc is the runtime.
  local nofile nproc
  nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
  [ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ] && nofile=1048576
  [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
  # systemd in each lab host holds about 7 inotify instances, all counted against root: two labs at
  # once next to the kernel's default of 128 (fs.inotify.max_user_instances) leave hosts dead at boot.
  local inotify
  inotify=$(cat /proc/sys/fs/inotify/max_user_instances)
  if [ "$inotify" -lt 1024 ]; then
    log "raising fs.inotify.max_user_instances from $inotify to 1024 (until reboot)"
    echo 1024 > /proc/sys/fs/inotify/max_user_instances
  fi
  local conf=/etc/containers/containers.conf want
  want=$(printf '# written by hardened.flopsar tests/lab/bootstrap.sh\n[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n\n[engine]\nruntime = "runc"\n' \
    "$nofile" "$nofile" "$nproc" "$nproc")
  if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
    log "writing $conf"
    mkdir -p /etc/containers
    printf '%s\n' "$want" > "$conf"
  fi
}

step_venv() {
  local stamp="$venv/.requirements.sha256" want
  want=$(sha256sum "$repo/requirements.txt" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "creating virtualenv $venv from requirements.txt"
  rm -rf "$venv"
  python3 -m venv "$venv"
  pip_quiet "$venv/bin/pip" install -q --disable-pip-version-check -r "$repo/requirements.txt"
  echo "$want" > "$stamp"
}

# ansible-test's sanity tests each pin their own tools. Its --venv mode would download a pip
# bootstrap script from the internet, so the pins are installed here, from the package index,
# into a virtualenv of their own (they differ from the toolchain's, e.g. yamllint).
step_sanity_venv() {
  step_venv
  local reqs svenv="$cache/sanity-venv" stamp want
  reqs=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_data", "requirements"))')
  stamp="$svenv/.requirements.sha256"
  want=$(cat "$repo/requirements.txt" "$reqs"/sanity.*.txt | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "creating the sanity virtualenv $svenv"
  rm -rf "$svenv"
  python3 -m venv "$svenv"
  pip_quiet "$svenv/bin/pip" install -q --disable-pip-version-check \
    "$(grep -E '^ansible-core==' "$repo/requirements.txt")" \
    $(cat "$reqs"/sanity.*.txt | grep -E '^[A-Za-z0-9_.-]+==' | sort -u)
  echo "$want" > "$stamp"
}

# Some sanity tests run in a virtualenv of ansible-test's own, which it seeds with a pip bootstrap
# script downloaded from the internet; put the offline replacement where it looks first.
step_sanity_pip() {
  local pkg version
  pkg=$("$cache/sanity-venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
  version=$(sed -n "s/^ *pip='\([0-9.]*\)',\{0,1\}$/\1/p" "$pkg/_internal/python_requirements.py" | head -n1)
  [ -n "$version" ] || { echo "bootstrap: cannot find ansible-test's pip version" >&2; exit 1; }
  mkdir -p "$HOME/.ansible/test/cache"
  install -m 0644 "$repo/tests/lab/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
}

# galaxy-importer, antsibull-docs and Sphinx pin their own ansible-lint, Sphinx and flake8: a virtualenv
# of their own, keyed on tests/requirements-publish.txt (the shared one stays keyed on requirements.txt).
step_publish_venv() {
  local pvenv="$cache/publish-venv" stamp want
  stamp="$pvenv/.requirements.sha256"
  want=$(sha256sum "$repo/tests/requirements-publish.txt" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  log "creating the publishing virtualenv $pvenv"
  rm -rf "$pvenv"
  python3 -m venv "$pvenv"
  pip_quiet "$pvenv/bin/pip" install -q --disable-pip-version-check -r "$repo/tests/requirements-publish.txt"
  echo "$want" > "$stamp"
}

step_image() {
  local release
  for release in ${LAB_RELEASES:-bookworm}; do
    "$repo/tests/lab/image.sh" "$release" >/dev/null
  done
}

case "${1:-all}" in
  host) step_host ;;
  venv) step_venv ;;
  sanity-venv) step_sanity_venv; step_sanity_pip ;;
  publish-venv) step_publish_venv ;;
  image) step_host; step_image ;;
  all) step_host; step_venv; step_sanity_venv; step_sanity_pip; step_publish_venv; step_image ;;
  *) echo "usage: $0 host|venv|sanity-venv|publish-venv|image|all" >&2; exit 2 ;;
esac
