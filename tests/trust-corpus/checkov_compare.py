"""The corpus side by side with checkov, on the CloudFormation form of every policy.

Each policy of cases.json becomes a CloudFormation template (one AWS::IAM::Role). Both tools
read the same files: `cross-account trust-policy lint --format json` and checkov (pinned, from
its own virtualenv, see scripts/ensure-checkov). checkov runs without network: in a network
namespace of its own (`unshare -n`, which this script requires), and with --skip-download.

    python tests/trust-corpus/checkov_compare.py --checkov PATH --cross-account PATH [--write]

Without --write it fails when checkov's findings or the table differ from the committed
checkov-results.json and docs/trust-corpus.md; with --write it rewrites both.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = HERE / "checkov-results.json"
DOC = REPO / "docs" / "trust-corpus.md"
NOTES = {"confused-deputy-quieted"}


def write_templates(cases: list[dict[str, Any]], into: Path) -> None:
    for case in cases:
        template = {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Role": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {"AssumeRolePolicyDocument": case["policy"]},
                }
            },
        }
        (into / f"{case['id']}.json").write_text(json.dumps(template, indent=1) + "\n")


def run_checkov(checkov: str, folder: Path) -> dict[str, list[str]]:
    command = [
        checkov,
        "-d",
        str(folder),
        "--framework",
        "cloudformation",
        "-o",
        "json",
    ]
    command += ["--skip-download", "--quiet", "--compact"]
    # A network namespace of its own: checkov reaches nothing but loopback.
    probe = ["unshare", "-n", "true"]
    namespace = (
        shutil.which("unshare") and not subprocess.run(probe, check=False).returncode
    )
    if not namespace:
        sys.exit(
            "checkov runs only inside `unshare -n` (root or user namespaces), off the network"
        )
    command = ["unshare", "-n", *command]
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=600
    )
    if done.returncode not in (0, 1):
        sys.exit(f"checkov failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    if report["summary"]["parsing_errors"]:
        sys.exit(
            f"checkov could not parse {report['summary']['parsing_errors']} templates"
        )
    found: dict[str, list[str]] = {}
    for failed in report["results"].get("failed_checks", []):
        case = Path(failed["file_path"]).stem
        found.setdefault(case, []).append(failed["check_id"])
    return {case: sorted(set(ids)) for case, ids in found.items()}


def run_ours(
    cross_account: str, folder: Path, cases: list[dict[str, Any]]
) -> dict[str, list[str]]:
    found = {}
    for case in cases:
        command = [
            cross_account,
            "trust-policy",
            "lint",
            str(folder / f"{case['id']}.json"),
            "--format",
            "json",
        ]
        for account in case.get("own_accounts", []):
            command += ["--own-account", account]
        if case.get("org"):
            command += ["--org", case["org"]]
        done = subprocess.run(
            command, check=False, capture_output=True, text=True, timeout=60
        )
        if done.returncode not in (0, 1, 2):
            sys.exit(f"cross-account failed on {case['id']}: {done.stderr}")
        report = json.loads(done.stdout)
        found[case["id"]] = sorted(
            f["code"] for d in report["documents"] for f in d["findings"]
        )
    return found


def before_after() -> list[str]:
    """The scores of the lint before this corpus' rules (before.json) and now (after.json)."""
    lines = []
    for name in ("before", "after"):
        score = (HERE / f"{name}-score.txt").read_text().strip().splitlines()[-1]
        lines.append(f"- {name}: `{score}`")
    return lines


def table(
    cases: list[dict[str, Any]],
    ours: dict[str, list[str]],
    checkov: dict[str, list[str]],
) -> str:
    before = {
        r["id"]: sorted(r["lint"])
        for r in json.loads((HERE / "before.json").read_text())
    }
    rows = []
    tally = {"agree": 0, "only-ours": 0, "only-checkov": 0}
    score = {
        "ours": [0, 0, 0],
        "checkov": [0, 0, 0],
    }  # right, false positive, false negative
    for case in cases:
        should = any(code not in NOTES for code in case["expect"])
        mine = [c for c in ours[case["id"]] if c not in NOTES]
        theirs = checkov.get(case["id"], [])
        for name, flagged in (("ours", bool(mine)), ("checkov", bool(theirs))):
            score[name][0 if flagged == should else (1 if flagged else 2)] += 1
        if bool(mine) == bool(theirs):
            verdict = "agree"
        elif mine:
            verdict = "only-ours"
        else:
            verdict = "only-checkov"
        tally[verdict] += 1
        shown = ", ".join(ours[case["id"]]) or "clean"
        was = ", ".join(before[case["id"]]) or "clean"
        rows.append(
            f"| {case['id']} | {'finding' if should else 'clean'} | {was} | {shown} | {', '.join(theirs) or 'clean'} | {verdict} |"
        )
    head = [
        "# Trust-policy corpus: cross-account lint and checkov side by side",
        "",
        "Generated by `tests/trust-corpus/checkov_compare.py --write` (checkov 3.3.30, from",
        "`scripts/ensure-checkov`); the test command re-runs both tools and fails if this table",
        "or `tests/trust-corpus/checkov-results.json` changes. Each policy of",
        "`tests/trust-corpus/cases.json` is wrapped in a CloudFormation template with one",
        "`AWS::IAM::Role`, and both tools read that same file. `IAM` is what the corpus expects",
        "from IAM's documented evaluation logic (a finding or clean; notes such as",
        "`confused-deputy-quieted` are not findings).",
        "",
        (
            f"- Both tools flag or both pass: {tally['agree']} of {len(cases)}; only cross-account"
            f" flags: {tally['only-ours']}; only checkov flags: {tally['only-checkov']}."
        ),
        (
            f"- Against IAM's logic, cross-account: {score['ours'][0]} right, {score['ours'][1]}"
            f" false positives, {score['ours'][2]} false negatives; checkov: {score['checkov'][0]}"
            f" right, {score['checkov'][1]} false positives, {score['checkov'][2]} false negatives."
        ),
        '- checkov\'s CloudFormation checks for a trust policy are CKV_AWS_60 (`{"AWS": "*"}`) and',
        "  CKV_AWS_61; neither reads `sts:ExternalId`, federated conditions or IAM's grammar, and",
        '  CKV_AWS_60 does not fire on a bare `"Principal": "*"`.',
        "",
        "## Before and after",
        "",
        "`before` is the lint and evaluator of 0.1, before the grammar and federation checks",
        "(recorded in `tests/trust-corpus/before.json`), `after` is this tree (`after.json`, written by",
        "`TRUST_CORPUS_WRITE=1 cargo test -p cross-account --test trust_corpus`), both scored by",
        "`tests/trust-corpus/score.py` against the corpus: false positives and negatives count",
        "findings, `check_disagreements` counts requests whose decision differs from IAM's,",
        "`lint_vs_evaluator` counts policies where the confused-deputy verdict contradicts what",
        "the evaluator answers for the same policy without (or with a wrong) external ID.",
        "",
        *before_after(),
        "",
        "## Case by case",
        "",
        "| case | IAM | cross-account before | cross-account | checkov | verdict (now vs checkov) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    return "\n".join(head + rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkov", required=True)
    parser.add_argument("--cross-account", required=True)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    cases = json.loads((HERE / "cases.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_templates(cases, folder)
        checkov = run_checkov(args.checkov, folder)
        ours = run_ours(args.cross_account, folder, cases)
    text = table(cases, ours, checkov)
    results = json.dumps(checkov, indent=1, sort_keys=True) + "\n"
    if args.write:
        RESULTS.write_text(results)
        DOC.write_text(text)
        print(f"wrote {RESULTS.relative_to(REPO)} and {DOC.relative_to(REPO)}")
        return
    problems = []
    if RESULTS.read_text() != results:
        problems.append(
            f"checkov's findings differ from {RESULTS.relative_to(REPO)}:\n{results}"
        )
    if DOC.read_text() != text:
        problems.append(f"{DOC.relative_to(REPO)} is out of date; run with --write")
    if problems:
        sys.exit("\n".join(problems))
    print(
        f"{len(cases)} passed, 0 failed: cross-account and checkov on the corpus as committed"
    )


if __name__ == "__main__":
    main()
