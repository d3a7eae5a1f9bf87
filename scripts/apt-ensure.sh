# Sourced by the setup scripts: install Debian packages that are missing, as
# root, or stop and say exactly what to install. Expects log() and step().
pkg_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

# ensure_apt_packages PACKAGE...
ensure_apt_packages() {
  local missing=()
  local p
  for p in "$@"; do
    pkg_installed "$p" || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "Debian packages present: $*"
    return 0
  fi
  if [ "$(id -u)" != "0" ]; then
    log "missing Debian packages: ${missing[*]}"
    echo "Run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  step "apt-get update" apt-get -o DPkg::Lock::Timeout=300 update
  step "apt-get install --no-install-recommends ${missing[*]}" apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}"
}
