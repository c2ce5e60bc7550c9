#!/usr/bin/env bash
# The trusting side of the scenario, the account that owns the bucket, on the local STS
# emulator (moto, IAM auth on, 127.0.0.1 only):
#   1. the partner (the trusted side) generates an external ID and sends it with its identity;
#   2. the trusting side prints the role's trust policy, its S3 read-only permission policy and
#      a CloudFormation template, and lints the trust policy;
#   3. it creates the role from the template (CloudFormation in moto) and hands over the ARN;
#   4. before that, it checks locally who gets in: the partner with the right external ID only,
#      and STS (moto) agrees;
#   5. the lint catches a trust policy without an external ID (the confused deputy problem).
#
#   examples/trusting_side.sh      (starts a throwaway emulator itself when none is running)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$repo/scripts/scenario.sh" "$0" "$@"

work=$(mktemp -d "${TMPDIR:-/tmp}/trusting-side.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
cd "$work"

partner=$(field partner_user_arn)
bucket=$(field bucket)
suffix=$(date +%s)
role_name="PartnerReadReports-$suffix"   # unique: the emulator may outlive this run

# Shows a command (with `cross-account` for the binary's path), then runs it.
show() {
    local shown=("$@")
    [ "${shown[0]}" = "$bin" ] && shown[0]=cross-account
    printf '\n$ %s\n' "${shown[*]}"
}
# Runs a command that must exit with the given status.
expect_status() {
    local want=$1
    shift
    local got=0
    "$@" || got=$?
    if [ "$got" != "$want" ]; then
        echo "unexpected: exit status $got, expected $want" >&2
        exit 1
    fi
    echo "(exit status $got)"
}
# The trusting account's administrator (the emulator's admin user), for IAM and CloudFormation.
as_admin() {
    AWS_ACCESS_KEY_ID=$(field admin_access_key_id) \
        AWS_SECRET_ACCESS_KEY=$(field admin_secret_access_key) "$@"
}

echo "== 1. The partner generates an external ID (one per customer) and sends it"
show "$bin" external-id generate
external_id=$("$bin" external-id generate)
echo "$external_id"
echo "The partner also says who will call AssumeRole: $partner"
echo "(moto matches trust principals by exact ARN, so this demo trusts that user; for a real"
echo " partner, trust its account: --trusted-account 111122223333)"

echo
echo "== 2. The trusting side writes the role's documents"
trust=(--trusted-principal "$partner" --external-id "$external_id")
s3=(--s3-read-bucket "$bucket" --s3-read-prefix reports/)
show "$bin" trust-policy new "${trust[@]}" ">" trust.json
"$bin" trust-policy new "${trust[@]}" | tee trust.json
show "$bin" trust-policy new "${trust[@]}" "${s3[@]}" --print permission ">" permissions.json
"$bin" trust-policy new "${trust[@]}" "${s3[@]}" --print permission | tee permissions.json
show "$bin" trust-policy new "${trust[@]}" "${s3[@]}" --format cloudformation --role-name "$role_name" ">" role.yaml
"$bin" trust-policy new "${trust[@]}" "${s3[@]}" --format cloudformation --role-name "$role_name" | tee role.yaml
show "$bin" trust-policy lint trust.json
expect_status 0 "$bin" trust-policy lint trust.json

echo
echo "== 3. Before handing over the role: who gets in? (locally, no AWS call)"
show "$bin" trust-policy check --policy trust.json --principal "$partner" --external-id "$external_id"
expect_status 0 "$bin" trust-policy check --policy trust.json --principal "$partner" --external-id "$external_id"
show "$bin" trust-policy check --policy trust.json --principal "$partner" --external-id NotTheAgreedId
expect_status 3 "$bin" trust-policy check --policy trust.json --principal "$partner" --external-id NotTheAgreedId
show "$bin" trust-policy check --policy trust.json --principal "$partner"
expect_status 3 "$bin" trust-policy check --policy trust.json --principal "$partner"

echo
echo "== 4. The trusting side creates the role from the template and hands over its ARN"
stack="trusting-side-$suffix"
show aws cloudformation create-stack --stack-name "$stack" --template-body file://role.yaml --capabilities CAPABILITY_NAMED_IAM
as_admin aws cloudformation create-stack --stack-name "$stack" --template-body file://role.yaml \
    --capabilities CAPABILITY_NAMED_IAM --query StackId --output text
as_admin aws cloudformation wait stack-create-complete --stack-name "$stack"
role_arn=$(as_admin aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='RoleArn'].OutputValue" --output text)
echo "Role ARN to give to the partner: $role_arn"
show aws iam get-role --role-name "$role_name" --query Role.AssumeRolePolicyDocument "|" cross-account trust-policy check --policy - --principal "$partner" --external-id "$external_id"
as_admin aws iam get-role --role-name "$role_name" --query Role.AssumeRolePolicyDocument --output json \
    | expect_status 0 "$bin" trust-policy check --policy - --principal "$partner" --external-id "$external_id"

echo
echo "== 5. STS agrees: the partner assumes the role with the right external ID only"
show aws sts assume-role --role-arn "$role_arn" --role-session-name partner --external-id "$external_id" --query AssumedRoleUser.Arn
aws sts assume-role --role-arn "$role_arn" --role-session-name partner \
    --external-id "$external_id" --query AssumedRoleUser.Arn --output text
show aws sts assume-role --role-arn "$role_arn" --role-session-name partner --external-id NotTheAgreedId
if aws sts assume-role --role-arn "$role_arn" --role-session-name partner \
    --external-id NotTheAgreedId --query AssumedRoleUser.Arn --output text 2>"$work/denied"; then
    echo "unexpected: STS let a wrong external ID in" >&2
    exit 1
fi
grep -m 1 -o 'An error occurred (AccessDenied)[^:]*' "$work/denied"
echo "(refused, as trust-policy check said)"

echo
echo "== 6. The lint catches a trust policy without an external ID (confused deputy)"
cat >no-external-id.json <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "sts:AssumeRole"
    }
  ]
}
EOF
cat no-external-id.json
show "$bin" trust-policy lint no-external-id.json
expect_status 1 "$bin" trust-policy lint no-external-id.json
show "$bin" trust-policy check --policy no-external-id.json --principal arn:aws:iam::111122223333:user/anyone
expect_status 0 "$bin" trust-policy check --policy no-external-id.json --principal arn:aws:iam::111122223333:user/anyone
echo "(anyone in that account, or anyone who gets it to call AssumeRole with your role's ARN, gets in)"
