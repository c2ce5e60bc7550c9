#!/usr/bin/env bash
# The command-line part of the demo: the AWS CLI reads the partner's object through a
# `credential_process` profile written by `cross-account config-snippet`, and its write is
# refused by the role's permission policy. Runs against the loopback STS (moto).
#
#   crates/cross-account-cli/demo/aws_cli_demo.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
. "$repo/scripts/scenario.sh" "$0" "$@"

work=$(mktemp -d "${TMPDIR:-/tmp}/cli-demo.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"

# The partner's own keys go into a profile; the AWS CLI itself gets none in its environment.
export AWS_SHARED_CREDENTIALS_FILE="$work/credentials"
printf '[partner-source]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$AWS_SHARED_CREDENTIALS_FILE"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

export AWS_CONFIG_FILE="$work/config"
echo "\$ cross-account config-snippet --profile-name partner --role-arn $(field role_arn) --external-id $(field external_id) --profile partner-source --region $(field region)"
"$bin" config-snippet --profile-name partner --role-arn "$(field role_arn)" \
    --external-id "$(field external_id)" --profile partner-source --region "$(field region)" \
    | tee "$AWS_CONFIG_FILE"

object="s3://$(field bucket)/$(field key)"
echo
echo "\$ aws s3 cp $object - --profile partner"
aws s3 cp "$object" - --profile partner

echo
echo "\$ echo nope | aws s3 cp - s3://$(field bucket)/from-partner.txt --profile partner   # the role may only read"
if echo nope | aws s3 cp - "s3://$(field bucket)/from-partner.txt" --profile partner; then
    echo "unexpected: the write was allowed" >&2
    exit 1
fi
echo "(refused, as the role's permission policy says)"
