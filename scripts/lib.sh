# Sourced by the scripts: strict mode, the repository root as the working directory, the
# project's virtualenv on PATH (scripts/bootstrap installs what is missing), and `step`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/bootstrap

step() { printf '\n==== %s\n' "$*" >&2; }
