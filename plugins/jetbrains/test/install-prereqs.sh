#!/usr/bin/env bash
# Installs what the JetBrains core's build and tests need: a JDK 17 and Maven (Debian packages), then fetches the
# core's Maven dependencies from Maven Central into the tools cache, so the test run itself needs no download.
# Idempotent: a second run installs nothing and resolves from the cache.
set -euo pipefail
cd "$(dirname "$0")/../core"

tools_dir="${DEVMODE_TOOLS_DIR:-$HOME/.cache/devmode-tools}"
need_packages=()
command -v javac >/dev/null 2>&1 || need_packages+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_packages+=(maven)
if [ "${#need_packages[@]}" -gt 0 ]; then
  echo "jetbrains prereqs: installing ${need_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

java_major="$(javac -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')"
if [ "$java_major" -lt 17 ]; then
  echo "jetbrains prereqs: javac $java_major found, the core needs JDK 17 or newer (apt-get install openjdk-17-jdk-headless)" >&2
  exit 1
fi

mkdir -p "$tools_dir/m2"
# Resolves every plugin and dependency of the build (compile and test) into the tools cache.
mvn -B -q -Dmaven.repo.local="$tools_dir/m2" dependency:go-offline
echo "jetbrains prereqs: JDK $java_major, $(mvn -v 2>/dev/null | head -1 | sed -E 's/\x1b\[[0-9;]*m//g'), Maven repository $tools_dir/m2"
