#!/usr/bin/env bash
# Builds the JetBrains core with Maven and runs its JUnit 5 tests (Surefire) against the built server binary
# dist/devmode and sandbox clusters the tests start themselves. Prints `N passed, N failed` last; exits non-zero on
# any failure. Prerequisites come from plugins/jetbrains/test/install-prereqs.sh.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
core="$repo/plugins/jetbrains/core"
tools_dir="${DEVMODE_TOOLS_DIR:-$HOME/.cache/devmode-tools}"

for tool in java mvn kubectl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test:jetbrains: $tool is missing: run plugins/jetbrains/test/install-prereqs.sh (JDK 17 and Maven from Debian)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done
if [ ! -x "$repo/dist/devmode" ]; then
  echo "test:jetbrains: $repo/dist/devmode is missing: run npm run build:binary" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

rm -rf "$core/target/surefire-reports"
status=0
mvn -B --no-transfer-progress -f "$core/pom.xml" -Dmaven.repo.local="$tools_dir/m2" \
  -Ddevmode.bin="$repo/dist/devmode" -Ddevmode.repo="$repo" package || status=$?

# Surefire's reports hold the counts, also when the build stopped at a failing test.
tests=0 failed=0
for report in "$core"/target/surefire-reports/TEST-*.xml; do
  [ -e "$report" ] || continue
  header="$(grep -m1 '<testsuite' "$report")"
  attribute() { sed -nE "s/.* $1=\"([0-9]+)\".*/\1/p" <<<"$header"; }
  tests=$((tests + $(attribute tests)))
  failed=$((failed + $(attribute failures) + $(attribute errors) + $(attribute skipped)))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$((tests - failed < 0 ? 0 : tests - failed)) passed, $failed failed"
exit "$status"
