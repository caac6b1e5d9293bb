#!/usr/bin/env bash
# Copies the front-end packages pinned in package.json into static/vendor/, with their source maps
# and licences. The copies are committed; node_modules is not. Needs node and npm, only when refreshing.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp package.json "$work/"
(cd "$work" && npm install --no-audit --no-fund --ignore-scripts --silent)
modules="$work/node_modules"
vendor=static/vendor
rm -rf "$vendor"
mkdir -p "$vendor"/{bootstrap,htmx,chartjs,axe-core,cytoscape}

cp -r "$modules/bootstrap/dist/css" "$modules/bootstrap/dist/js" "$modules/bootstrap/LICENSE" "$vendor/bootstrap/"
cp "$modules/htmx.org/dist/htmx.js" "$modules/htmx.org/dist/htmx.min.js" "$modules/htmx.org/LICENSE" "$vendor/htmx/"
cp "$modules/htmx.org/dist/htmx.min.js.map" "$vendor/htmx/" 2>/dev/null || true
cp "$modules/chart.js/dist/chart.umd.js" "$modules/chart.js/dist/chart.umd.js.map" \
   "$modules/chart.js/dist/chart.umd.min.js" "$modules/chart.js/dist/chart.umd.min.js.map" \
   "$modules/chart.js/LICENSE.md" "$vendor/chartjs/"
cp "$modules/axe-core/axe.js" "$modules/axe-core/axe.min.js" "$modules/axe-core/LICENSE" "$vendor/axe-core/"
cp "$modules/cytoscape/dist/cytoscape.min.js" "$modules/cytoscape/dist/cytoscape.umd.js" "$modules/cytoscape/LICENSE" \
   "$vendor/cytoscape/"

for package in bootstrap htmx.org chart.js axe-core cytoscape; do
    node -e "const p=require('$modules/$package/package.json'); console.log(p.name + ' ' + p.version)"
done > "$vendor/VERSIONS"
cat "$vendor/VERSIONS"
