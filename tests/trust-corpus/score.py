"""Scores a findings dump (before.json / after.json) against cases.json: prints the figures."""

import json
import sys
from collections import Counter

NOTES = {"confused-deputy-quieted"}


def score(cases, results):
    by_id = {r["id"]: r for r in results}
    fp = fn = check_diff = lint_vs_eval = 0
    rows = []
    for c in cases:
        r = by_id[c["id"]]
        expected = Counter(x for x in c["expect"] if x not in NOTES)
        actual = Counter(x for x in r["lint"] if x not in NOTES)
        f_p = sum((actual - expected).values())
        f_n = sum((expected - actual).values())
        fp += f_p
        fn += f_n
        d = sum(1 for k, got in zip(c["checks"], r["checks"]) if k["expect"] != got)
        check_diff += d
        probes = [
            got
            for k, got in zip(c["checks"], r["checks"])
            if k.get("external_id") is None or k["external_id"].startswith("guess-")
        ]
        quiet = "confused-deputy-quieted" in c["expect"]
        if probes and not quiet:
            open_ = "allowed" in probes
            flagged = "confused-deputy" in r["lint"]
            if open_ != flagged:
                lint_vs_eval += 1
        rows.append((c["id"], f_p, f_n, d))
    return fp, fn, check_diff, lint_vs_eval, rows


with open(sys.argv[1]) as f:
    cases = json.load(f)
with open(sys.argv[2]) as f:
    results = json.load(f)
fp, fn, cd, lve, rows = score(cases, results)
for id_, a, b, d in rows:
    if a or b or d:
        print(f"  {id_}: fp={a} fn={b} check-disagreements={d}")
n_checks = sum(len(c["checks"]) for c in cases)
print(
    f"cases={len(cases)} false_positives={fp} false_negatives={fn} "
    f"check_disagreements={cd}/{n_checks} lint_vs_evaluator={lve}"
)
