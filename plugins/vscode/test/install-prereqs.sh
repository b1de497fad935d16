#!/usr/bin/env bash
# Installs what the VS Code extension's end-to-end test needs, idempotently:
# - Debian's chromium (driven by playwright-core) and ripgrep;
# - code-server 4.100.3 (a real VS Code workbench and extension host), installed with the machine's Node 20.
# Everything downloaded lives under ${DEVMODE_TOOLS_DIR:-$HOME/.cache/devmode-tools}, never in the repository.
set -euo pipefail

tools_dir="${DEVMODE_TOOLS_DIR:-$HOME/.cache/devmode-tools}"
code_server_version="4.100.3"
code_server_dir="$tools_dir/code-server-$code_server_version"
code_server_bin="$code_server_dir/node_modules/.bin/code-server"

# code-server 4.100.3 needs Node 20: use the system's node and npm, never the project's Node 24.
export PATH="/usr/bin:/bin:$PATH"
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" != "20" ]; then
  echo "install-prereqs: code-server $code_server_version needs Node 20 as /usr/bin/node (apt-get install nodejs from a Node 20 source)" >&2
  exit 1
fi

packages=(chromium ripgrep build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-prereqs: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# code-server writes a default config file on every run; keep it out of the person's home.
export XDG_CONFIG_HOME="$code_server_dir/config" XDG_DATA_HOME="$code_server_dir/data"
if [ -x "$code_server_bin" ] && "$code_server_bin" --version 2>/dev/null | grep -q "^$code_server_version"; then
  exit 0
fi

echo "install-prereqs: installing code-server $code_server_version into $code_server_dir"
mkdir -p "$code_server_dir"
# @vscode/ripgrep downloads rg from GitHub in its postinstall; seed its cache with Debian's rg instead.
ripgrep_cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
ripgrep_seed="$(mktemp -d)"
mkdir -p "$ripgrep_cache"
cp /usr/bin/rg "$ripgrep_seed/rg"
tar czf "$ripgrep_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$ripgrep_seed" rg
rm -rf "$ripgrep_seed"

cd "$code_server_dir"
# Run from an npm script (npm test), npm's own settings are in the environment: the nested install must not take
# them for its own.
while IFS= read -r name; do unset "$name"; done < <(env | sed -n 's/^\(npm_config_[A-Za-z0-9_]*\)=.*/\1/p')
[ -f package.json ] || echo '{"name":"devmode-code-server","private":true}' >package.json
# node-pty's postinstall runs npx node-gyp, which needs npm_config_yes; native modules build from source.
npm_config_yes=true npm install --no-audit --no-fund --unsafe-perm --foreground-scripts \
  "code-server@$code_server_version" >"$code_server_dir/install.log" 2>&1 || {
  tail -n 40 "$code_server_dir/install.log" >&2
  echo "install-prereqs: code-server install failed (log: $code_server_dir/install.log)" >&2
  exit 1
}
"$code_server_bin" --version
