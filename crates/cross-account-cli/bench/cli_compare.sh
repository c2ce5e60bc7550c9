#!/usr/bin/env bash
# Side by side, in one run, against the same loopback STS (moto):
#   A. a warm-cache `cross-account credential-process` (what the AWS CLI runs per command), and
#   B. `aws sts assume-role` through the AWS CLI (what a script does without cross-account);
# plus the size of the release binary, stripped.
#
#   crates/cross-account-cli/bench/cli_compare.sh            # starts its own local STS
#   scripts/with-local-sts crates/cross-account-cli/bench/cli_compare.sh
#
# Uses hyperfine when installed (apt-get install -y hyperfine), else a timed loop.
# Env: RUNS (default 30), WARMUP (default 3), CROSS_ACCOUNT_BIN (default: target/release).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

if [ -z "${CROSS_ACCOUNT_TEST_SCENARIO:-}" ]; then
    exec "$repo/scripts/with-local-sts" "$0" "$@"
fi

runs=${RUNS:-30}
warmup=${WARMUP:-3}
bin=${CROSS_ACCOUNT_BIN:-}
if [ -z "$bin" ]; then
    (cd "$repo" && cargo build --release -p cross-account-cli >&2)
    bin="$repo/target/release/cross-account"
fi

scenario=$CROSS_ACCOUNT_TEST_SCENARIO
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$scenario" "$1"; }
role_arn=$(field role_arn)
external_id=$(field external_id)

work=$(mktemp -d "${TMPDIR:-/tmp}/cli-compare.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"

ours=("$bin" credential-process --role-arn "$role_arn" --external-id "$external_id")
theirs=(aws sts assume-role --role-arn "$role_arn" --role-session-name bench --external-id "$external_id" --output json)

# Both must work before they are timed; this also warms the cache.
"${ours[@]}" >/dev/null
"${theirs[@]}" >/dev/null

stripped="$work/cross-account.stripped"
cp "$bin" "$stripped"
strip "$stripped"
size_stripped=$(stat -c %s "$stripped")
size_release=$(stat -c %s "$bin")

echo "== cross-account credential-process (warm cache) vs aws sts assume-role (AWS CLI), local STS"
echo "   AWS CLI: $(aws --version 2>&1)"
echo "   binary:  $bin"

ms_ours=""
ms_theirs=""
if command -v hyperfine >/dev/null 2>&1; then
    q() { printf '%q ' "$@"; }
    hyperfine --warmup "$warmup" --runs "$runs" -N \
        --export-json "$work/hf.json" \
        -n "cross-account credential-process (warm cache)" "$(q "${ours[@]}")" \
        -n "aws sts assume-role" "$(q "${theirs[@]}")" >&2
    read -r ms_ours ms_theirs < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(" ".join("%.2f" % (x["mean"] * 1000) for x in r))' "$work/hf.json")
else
    timeit() {
        local n=$1; shift
        for _ in $(seq "$warmup"); do "$@" >/dev/null; done
        local start end
        start=$(date +%s%N)
        for _ in $(seq "$n"); do "$@" >/dev/null; done
        end=$(date +%s%N)
        python3 -c 'import sys; print(f"{(int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]) / 1e6:.2f}")' "$start" "$end" "$n"
    }
    ms_ours=$(timeit "$runs" "${ours[@]}")
    ms_theirs=$(timeit "$runs" "${theirs[@]}")
fi

python3 - "$ms_ours" "$ms_theirs" "$size_release" "$size_stripped" <<'EOF'
import sys
ours, theirs = float(sys.argv[1]), float(sys.argv[2])
release, stripped = int(sys.argv[3]), int(sys.argv[4])
print(f"credential-process, warm cache : {ours:8.2f} ms mean")
print(f"aws sts assume-role (AWS CLI)  : {theirs:8.2f} ms mean")
print(f"speed-up                       : {theirs / ours:8.1f}x (goal: at least 20x)")
print(f"release binary                 : {release / 1048576:8.2f} MiB ({release} bytes)")
print(f"release binary, stripped       : {stripped / 1048576:8.2f} MiB ({stripped} bytes)")
sys.exit(0 if theirs / ours >= 20 else 1)
EOF
