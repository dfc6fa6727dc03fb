#!/usr/bin/env bash
# Packs this package as npm would publish it, installs the tarball into a temporary copy of
# examples/jest-integration, and runs that project's tests: what another project's suite sees.
# The repository is left as it was (apart from dist/, which packing rebuilds).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/mesibo-backend-example-XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$SECONDS

cd "$root"
# prepack builds dist/ first.
npm pack --pack-destination "$work" 1>&2
tarball="$(ls "$work"/*.tgz)"
echo "packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) kB) in $((SECONDS - started)) s"

cp -R "$root/examples/jest-integration" "$work/example"
cd "$work/example"
rm -rf node_modules package-lock.json
# The copy installs the tarball instead of the repository folder it names.
npm pkg delete devDependencies.mesibo-private-backend
npm install --no-audit --no-fund --save-dev "$tarball"
echo "installed in $((SECONDS - started)) s"

npx jest
echo "example passed in $((SECONDS - started)) s"
