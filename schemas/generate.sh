#!/bin/sh
# Regenerates the TypeScript for schemas/tessera.fbs into schemas/generated/ (or into the folder
# given as $1, which schemas/generated.test.ts uses to prove the committed files are current).
#
# The output depends on the flatc version, so the version is pinned: the one Debian ships as
# flatbuffers-compiler (apt-get install -y flatbuffers-compiler). --ts-flat-files writes one
# self-contained file; flatc 2.0.8's per-type mode writes an index file that omits ServerFrame.
# The output compiles under our strict tsconfig as it is, so there is no post-processing.
set -eu

flatc_version_expected="flatc version 2.0.8"

repo_root=$(cd "$(dirname "$0")/.." && pwd)
output_dir=${1:-"$repo_root/schemas/generated"}

if ! command -v flatc >/dev/null 2>&1; then
  echo "generate.sh: flatc not found; install it with: apt-get install -y flatbuffers-compiler" >&2
  exit 2
fi
flatc_version=$(flatc --version)
if [ "$flatc_version" != "$flatc_version_expected" ]; then
  echo "generate.sh: need '$flatc_version_expected', found '$flatc_version'" >&2
  exit 2
fi

mkdir -p "$output_dir"
# Run from the repository root with a relative schema path so nothing machine-specific can leak
# into the output.
cd "$repo_root"
flatc --ts --ts-flat-files -o "$output_dir" schemas/tessera.fbs
