#!/usr/bin/env bash
# Side by side, in one run, against the same loopback STS (moto):
#   A. a warm-cache `cross-account credential-process` (what the AWS CLI runs per command), and
#   B. `aws sts assume-role` through the AWS CLI (what a script does without cross-account);
# plus the size of the release binary, stripped.
#
#   bench/cli_compare.sh [--json OUT]          # starts its own local STS
#   scripts/with-local-sts bench/cli_compare.sh [--json OUT]
#
# Uses hyperfine when installed (apt-get install -y hyperfine), else a timed loop. The AWS CLI
# is run as installed, without a pyenv shim in front of it (the shim alone costs a bash start).
# Env: RUNS (default 30), WARMUP (default 3), CROSS_ACCOUNT_BIN (default: target/release).
# Exit status: 1 when the speed-up is under the 20x goal, unless --json is given (bench/run
# judges the goals in its report).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ -z "${CROSS_ACCOUNT_TEST_SCENARIO:-}" ]; then
    exec "$repo/scripts/with-local-sts" "$0" "$@"
fi

json_out=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --json) json_out=$2; shift 2 ;;
        *) echo "usage: $0 [--json OUT]" >&2; exit 2 ;;
    esac
done

runs=${RUNS:-30}
warmup=${WARMUP:-3}
bin=${CROSS_ACCOUNT_BIN:-}
if [ -z "$bin" ]; then
    (cd "$repo" && cargo build --release -p cross-account-cli >&2)
    bin="$repo/target/release/cross-account"
fi

aws_bin=$(command -v aws)
if [[ "$aws_bin" == */.pyenv/shims/* ]] && command -v pyenv >/dev/null 2>&1; then
    aws_bin=$(pyenv which aws)
fi

scenario=$CROSS_ACCOUNT_TEST_SCENARIO
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$scenario" "$1"; }
role_arn=$(field role_arn)
external_id=$(field external_id)

work=$(mktemp -d "${TMPDIR:-/tmp}/cli-compare.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"

ours=("$bin" credential-process --role-arn "$role_arn" --external-id "$external_id")
theirs=("$aws_bin" sts assume-role --role-arn "$role_arn" --role-session-name bench --external-id "$external_id" --output json)

# Both must work before they are timed; this also warms the cache.
"${ours[@]}" >/dev/null
"${theirs[@]}" >/dev/null

stripped="$work/cross-account.stripped"
cp "$bin" "$stripped"
strip "$stripped"
size_stripped=$(stat -c %s "$stripped")
size_release=$(stat -c %s "$bin")
aws_version=$("$aws_bin" --version 2>&1)

echo "== cross-account credential-process (warm cache) vs aws sts assume-role (AWS CLI), local STS" >&2
echo "   AWS CLI: $aws_version ($aws_bin)" >&2
echo "   binary:  $bin" >&2

# Per-run times in seconds, one file per command.
if command -v hyperfine >/dev/null 2>&1; then
    tool="hyperfine $(hyperfine --version | cut -d' ' -f2)"
    q() { printf '%q ' "$@"; }
    hyperfine --warmup "$warmup" --runs "$runs" -N \
        --export-json "$work/hf.json" \
        -n "cross-account credential-process (warm cache)" "$(q "${ours[@]}")" \
        -n "aws sts assume-role" "$(q "${theirs[@]}")" >&2
    python3 - "$work/hf.json" "$work/ours.times" "$work/theirs.times" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for res, out in zip(r, sys.argv[2:]):
    open(out, "w").write("\n".join(str(t) for t in res["times"]) + "\n")
PY
else
    tool="bash loop (date +%s%N)"
    timeit() {
        local out=$1; shift
        for _ in $(seq "$warmup"); do "$@" >/dev/null; done
        : >"$out"
        for _ in $(seq "$runs"); do
            local start end
            start=$(date +%s%N)
            "$@" >/dev/null
            end=$(date +%s%N)
            echo "$(( end - start ))e-9" >>"$out"
        done
    }
    timeit "$work/ours.times" "${ours[@]}"
    timeit "$work/theirs.times" "${theirs[@]}"
fi

python3 - "$work/ours.times" "$work/theirs.times" "$size_release" "$size_stripped" "$json_out" "$tool" "$aws_version" "$aws_bin" <<'EOF_PY'
import json, statistics, sys
def load(path):
    return [float(line) * 1000 for line in open(path) if line.strip()]
ours, theirs = load(sys.argv[1]), load(sys.argv[2])
release, stripped = int(sys.argv[3]), int(sys.argv[4])
json_out, tool, aws_version, aws_bin = sys.argv[5:9]
def fig(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "mean": statistics.mean(xs), "runs_ms": xs}
o, t = fig(ours), fig(theirs)
print(f"credential-process, warm cache : {o['median']:8.2f} ms median ({o['min']:.2f}-{o['max']:.2f})")
print(f"aws sts assume-role (AWS CLI)  : {t['median']:8.2f} ms median ({t['min']:.2f}-{t['max']:.2f})")
print(f"speed-up                       : {t['median'] / o['median']:8.1f}x (goal: at least 20x)")
print(f"release binary                 : {release / 1048576:8.2f} MiB ({release} bytes)")
print(f"release binary, stripped       : {stripped / 1048576:8.2f} MiB ({stripped} bytes)")
if json_out:
    json.dump({
        "tool": tool,
        "aws_cli": {"version": aws_version, "path": aws_bin},
        "credential_process_warm_ms": o,
        "aws_sts_assume_role_ms": t,
        "binary_bytes": {"release": release, "stripped": stripped},
    }, open(json_out, "w"), indent=2)
    sys.exit(0)
sys.exit(0 if t["median"] / o["median"] >= 20 else 1)
EOF_PY
