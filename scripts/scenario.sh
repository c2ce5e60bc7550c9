# Sourced by the scripts that run against the local STS emulator, after setting `repo`:
#     . "$repo/scripts/scenario.sh" "$0" "$@"
# Without a scenario it runs the caller again under scripts/with-local-sts (which starts a
# throwaway emulator); with one, it sets `bin` (CROSS_ACCOUNT_BIN, else a debug build of the
# CLI) and defines `field NAME`, which prints one field of the scenario file.
if [ -z "${CROSS_ACCOUNT_TEST_SCENARIO:-}" ]; then
    exec "$repo/scripts/with-local-sts" "$@"
fi

bin=${CROSS_ACCOUNT_BIN:-}
if [ -z "$bin" ]; then
    (cd "$repo" && cargo build -q -p cross-account-cli >&2)
    bin="$repo/target/debug/cross-account"
fi
field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$CROSS_ACCOUNT_TEST_SCENARIO" "$1"; }
