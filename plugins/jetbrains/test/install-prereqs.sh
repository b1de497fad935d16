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
# Maven resolves some plugins (Surefire's JUnit provider) only when they run, so a build of a scratch copy with one
# quick test class fetches everything the test run needs. The stamp skips it while pom.xml is unchanged.
stamp="$tools_dir/m2/.devmode-jetbrains-$(sha256sum pom.xml | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  cp -r pom.xml src "$scratch/"
  mvn -B -q --no-transfer-progress -f "$scratch/pom.xml" -Dmaven.repo.local="$tools_dir/m2" -Dtest=ServerLocatorTest package
  touch "$stamp"
fi
echo "jetbrains prereqs: JDK $java_major, $(mvn -v 2>/dev/null | head -1 | sed -E 's/\x1b\[[0-9;]*m//g'), Maven repository $tools_dir/m2"
