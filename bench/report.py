#!/usr/bin/env python3
"""Turn the raw JSON of ``bench/collect.py`` into REPORT.md, a PNG plot and a printed table.

    python bench/report.py --raw bench/results/raw --out bench/results

Every timing is a median over repeated runs with its min and max; a figure whose max/min
spread is over 2x is flagged. Ratios are anchor / ours (how many times faster ours is), from
the medians, with the conservative ratio (the anchor's fastest run against ours' slowest).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPREAD_FLAG = 2.0
PLOT = "comparison.png"
SDK_CACHE = "SDK: AssumeRoleProvider behind IdentityCache::lazy()"
OURS_IN_SDK = "ours behind IdentityCache::lazy() (ours in an SDK client)"
OURS_ONE_CACHE = "ours behind IdentityCache::no_cache() (SDK client, cache off)"
READERS = (1, 2, 8, 64)
# The Python goals, judged here for REPORT.md and by bench/python_compare.py when run alone.
PY_READ_GOAL = 20.0  # reads this many times faster than botocore's
PY_IMPORT_GOAL = 5.0  # import this many times faster than boto3


@dataclass
class Fig:
    """Samples of one figure over repeated runs."""

    xs: list[float]

    @property
    def med(self) -> float:
        """The median."""
        return float(statistics.median(self.xs))

    @property
    def lo(self) -> float:
        """The smallest sample."""
        return min(self.xs)

    @property
    def hi(self) -> float:
        """The largest sample."""
        return max(self.xs)

    @property
    def wide(self) -> bool:
        """Whether max/min is over the flag threshold."""
        return self.lo > 0 and self.hi / self.lo > SPREAD_FLAG

    def cell(self, fmt: str = "{:,.0f}", unit: str = "") -> str:
        """``median (min-max)``, flagged when the spread is wide."""
        f = fmt.format
        flag = " ⚠" if self.wide else ""
        if self.lo == self.hi:
            return f"{f(self.med)}{unit}{flag}"
        return f"{f(self.med)}{unit} ({f(self.lo)}-{f(self.hi)}){flag}"


def millions(f: Fig) -> Fig:
    """The same figure in millions."""
    return Fig([x / 1e6 for x in f.xs])


def times(x: float) -> str:
    """A ratio, with a decimal only while it is small."""
    return f"{x:,.1f}x" if x < 100 else f"{x:,.0f}x"


def ratio(anchor: Fig, ours: Fig) -> str:
    """How many times the anchor's figure is ours: median ratio, conservative ratio."""
    return f"{times(anchor.med / ours.med)} (≥ {times(anchor.lo / ours.hi)})"


def verdict(ok: bool) -> str:
    """Met or missed, plainly."""
    return "**met**" if ok else "**MISSED**"


def py_read(py: dict[str, Any], name: str) -> Fig:
    """Row 7 of python.json: ns per read, one sample per timed batch."""
    return Fig(py["read_ns"][name]["batches"])


def py_import(py: dict[str, Any], name: str) -> Fig:
    """Row 6 of python.json: import ms, one sample per fresh interpreter."""
    return Fig(py["import_ms"][name]["runs"])


class Data:
    """All raw figures, loaded once."""

    def __init__(self, raw: Path) -> None:  # noqa: D107
        def load(name: str) -> Any:
            return json.loads((raw / name).read_text())

        self.meta = load("meta.json")
        self.rust = load("rust_rows.json")
        self.moto = load("rust_moto.json")
        self.rss = load("rust_rss.json")
        self.py = load("python.json")
        self.cli = load("cli.json")
        self.herd = load("cli_herd.json")
        self.raw = raw

    def pool_section(self) -> str:
        """The multi-tenant rows (many customer accounts), when this run has them."""
        path = self.raw / "pool.json"
        if not path.exists():
            return ""
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import pool_report  # noqa: PLC0415 - bench/ is not a package

        return str(pool_report.section(json.loads(path.read_text())))

    # Rust rows ------------------------------------------------------------------------------

    def hot(self, name: str) -> Fig:
        """Row 1: ns per read of one variant."""
        return Fig(self.rust["hot_read_ns"][name])

    def rps(self, name: str, n: int, kind: str) -> Fig:
        """Row 3: reads/s of one side with n threads or tasks."""
        return Fig(self.rust["reads_per_second"][f"{name} | {n} {kind}"])

    def cold(self, name: str, what: str) -> Fig:
        """Row 4: one figure of the cold-start herd."""
        return Fig(self.rust["cold_start"]["figures"][f"{name} | {what}"])

    def refresh(self, name: str, what: str) -> Fig:
        """Row 5: one figure of the reads while a refresh is due."""
        return Fig(self.rust["during_refresh"]["figures"][f"{name} | {what}"])

    # Python and CLI ---------------------------------------------------------------------------

    def py_read(self, name: str) -> Fig:
        """Row 7: ns per read, one sample per timed batch."""
        return py_read(self.py, name)

    def py_import(self, name: str) -> Fig:
        """Row 6: import ms, one sample per fresh interpreter."""
        return py_import(self.py, name)

    def cli_ms(self, name: str) -> Fig:
        """Row 9: ms per invocation."""
        return Fig(self.cli[name]["runs_ms"])


OURS_AWAIT = "ours: credentials().await"
CLOCK = "baseline: SystemTime::now() (one wall-clock read)"
OURS_READ = "cross_account credentials()"
OURS_BOTO = "cross_account boto3_session() client credentials"
BOTOCORE = "botocore assume-role get_frozen_credentials()"


def summary_rows(d: Data) -> list[tuple[str, ...]]:
    """The summary table: one line per row of the issue."""
    ours_await = d.hot("ours: credentials().await")
    ours_sync = d.hot("ours: cached_credentials() (sync)")
    ours_trait = d.hot("ours: provide_credentials().await")
    sdk = d.hot(SDK_CACHE)
    burst = d.rust["sts_calls"]["burst_100_reads"]
    cold = d.rust["cold_start"]
    dr = d.rust["during_refresh"]
    ours_r = "ours: credentials().await (background refresh)"
    calls50 = d.py["sts_calls_per_50_reads_900s"]
    rss = d.py["rss_mib"]
    ours_rss = Fig(rss["cross_account: session, one read"]["runs"])
    boto_rss = Fig(rss["boto3: botocore assume-role credentials, one read"]["runs"])
    wheel = d.py["wheel"]["bytes"]
    boto_bytes = sum(d.py["installed_bytes"].values())
    ours_cli, aws_cli = d.cli_ms("credential_process_warm_ms"), d.cli_ms("aws_sts_assume_role_ms")
    return [
        ("#", "what", "ours", "anchor (same run)", "ours faster by"),
        (
            "1",
            "hot read of cached credentials, ns",
            f"`credentials().await` {ours_await.cell()}; `cached_credentials()` "
            f"{ours_sync.cell()}; `provide_credentials()` {ours_trait.cell()}; in an SDK "
            f"client, one cache (`configure_loader`) {d.hot(OURS_ONE_CACHE).cell()}, "
            f"behind the SDK's identity cache {d.hot(OURS_IN_SDK).cell()}",
            f"SDK identity cache {sdk.cell()}",
            f"{ratio(sdk, ours_await)}; sync {ratio(sdk, ours_sync)}; "
            f"trait {ratio(sdk, ours_trait)}",
        ),
        (
            "2",
            "STS calls per 100 reads",
            f"{Fig(burst['ours: credentials()']).cell()}",
            "uncached `AssumeRoleProvider`: "
            f"{Fig(burst['SDK: AssumeRoleProvider::provide_credentials() (uncached)']).cell()}; "
            f"identity cache: {Fig(burst[SDK_CACHE]).cell()}",
            "",
        ),
        (
            "3",
            "reads/s, 1 / 2 / 8 / 64 tasks (millions)",
            " / ".join(millions(d.rps(OURS_AWAIT, n, "tasks")).cell("{:.1f}") for n in READERS),
            " / ".join(millions(d.rps(SDK_CACHE, n, "tasks")).cell("{:.1f}") for n in READERS),
            " / ".join(
                f"{d.rps(OURS_AWAIT, n, 'tasks').med / d.rps(SDK_CACHE, n, 'tasks').med:.1f}x"
                for n in READERS
            ),
        ),
        (
            "4",
            f"cold start, {cold['tasks']:,} tasks, STS {cold['sts_delay_ms']:.0f} ms: "
            "STS calls; p50 / p99 wait, ms",
            f"{d.cold('ours: credentials().await', 'sts_calls').cell()}; "
            f"{d.cold('ours: credentials().await', 'p50_ms').cell('{:.1f}')} / "
            f"{d.cold('ours: credentials().await', 'p99_ms').cell('{:.1f}')}",
            f"{d.cold(SDK_CACHE, 'sts_calls').cell()}; "
            f"{d.cold(SDK_CACHE, 'p50_ms').cell('{:.1f}')} / "
            f"{d.cold(SDK_CACHE, 'p99_ms').cell('{:.1f}')}",
            f"p99 {ratio(d.cold(SDK_CACHE, 'p99_ms'), d.cold('ours: credentials().await', 'p99_ms'))}",  # noqa: E501
        ),
        (
            "5",
            f"read p99 while a refresh is due, STS answers after {dr['sts_delay_ms'] / 1000:g} s"
            ", µs",
            f"{d.refresh(ours_r, 'p99_us').cell('{:,.1f}')}",
            f"{d.refresh(SDK_CACHE, 'p99_us').cell('{:,.0f}')}",
            ratio(d.refresh(SDK_CACHE, "p99_us"), d.refresh(ours_r, "p99_us")),
        ),
        (
            "6",
            "Python: import, ms",
            d.py_import("cross_account").cell("{:.1f}"),
            f"`import boto3` {d.py_import('boto3').cell('{:.1f}')}",
            ratio(d.py_import("boto3"), d.py_import("cross_account")),
        ),
        (
            "7",
            "Python: read, ns",
            f"`credentials()` {d.py_read(OURS_READ).cell()}; boto3 client via "
            f"`boto3_session()` {d.py_read(OURS_BOTO).cell()}",
            f"botocore `get_frozen_credentials()` {d.py_read(BOTOCORE).cell()}",
            f"{ratio(d.py_read(BOTOCORE), d.py_read(OURS_READ))}; via boto3 "
            f"{ratio(d.py_read(BOTOCORE), d.py_read(OURS_BOTO))}",
        ),
        (
            "8",
            "Python: STS calls per 50 reads, 900 s sessions",
            f"{calls50['cross_account credentials()']}",
            f"botocore {calls50['botocore assume-role']}",
            "",
        ),
        (
            "9",
            "CLI: warm `credential-process`, ms; 16 parallel cold runs: STS calls",
            f"{ours_cli.cell('{:.1f}')}; {Fig(d.herd['ours']['sts_calls']).cell()}",
            f"`aws sts assume-role` {aws_cli.cell('{:.0f}')}; "
            f"{Fig(d.herd['aws']['sts_calls']).cell()}",
            ratio(aws_cli, ours_cli),
        ),
        (
            "10",
            "memory: RSS holding one session (MiB); sizes",
            f"Python {ours_rss.cell('{:.1f}')}, Rust {Fig(d.rss['ours']).cell('{:.1f}')}; "
            f"CLI binary {d.cli['binary_bytes']['stripped'] / 2**20:.1f} MiB stripped; "
            f"wheel {wheel / 2**20:.1f} MiB",
            f"boto3 {boto_rss.cell('{:.1f}')}, Rust SDK {Fig(d.rss['sdk']).cell('{:.1f}')}; "
            f"boto3 + deps installed {boto_bytes / 2**20:.1f} MiB",
            f"RSS {boto_rss.med / ours_rss.med:.1f}x smaller (Python)",
        ),
    ]


def goals(d: Data) -> list[tuple[str, str, str, str]]:
    """Each goal: the figures it is judged on, met/missed, and when missed why and the fix."""
    hot = d.rust["hot_read_ns"]
    ours_await = d.hot(OURS_AWAIT)
    ours_sync = d.hot("ours: cached_credentials() (sync)")
    ours_trait = d.hot("ours: provide_credentials().await")
    sdk = d.hot(SDK_CACHE)
    clock = Fig(hot.get(CLOCK, [float("nan")]))
    burst = d.rust["sts_calls"]["burst_100_reads"]["ours: credentials()"]
    herd_calls = d.cold(OURS_AWAIT, "sts_calls").xs
    moto_calls = d.moto["ours"]["proxy_counted"]
    cli_calls = d.herd["ours"]["sts_calls"]
    py_calls = [d.py["sts_calls_per_50_reads_900s"]["cross_account credentials()"]]
    all_calls = burst + herd_calls + moto_calls + cli_calls + py_calls
    ours_r = d.refresh("ours: credentials().await (background refresh)", "p99_us")
    sdk_r = d.refresh(SDK_CACHE, "p99_us")
    cli_x = d.cli_ms("aws_sts_assume_role_ms").med / d.cli_ms("credential_process_warm_ms").med
    ten_x = sdk.med / ours_await.med >= 10 and sdk.med / ours_sync.med >= 10
    five_x = sdk.med / ours_trait.med >= 5
    return [
        (
            "`cached_credentials()` and `credentials().await` ≥ 10x faster than the SDK "
            "identity cache read",
            f"{sdk.med / ours_sync.med:.1f}x (`cached_credentials()`, {ours_sync.med:.1f} ns), "
            f"{sdk.med / ours_await.med:.1f}x (`credentials().await`, {ours_await.med:.1f} ns); "
            f"SDK {sdk.med:.0f} ns; one wall-clock read alone {clock.med:.0f} ns",
            f"{verdict(sdk.med / ours_sync.med >= 10)} (`cached_credentials()`); "
            f"{verdict(sdk.med / ours_await.med >= 10)} (`credentials().await`)",
            ""
            if ten_x
            else "A fresh read is an `ArcSwap` load, an `Arc` clone, the margin check against "
            "the coarse system clock and the task-alive check; on a busy shared machine the "
            "medians move by several ns (see the min-max).",
        ),
        (
            "`provide_credentials()` ≥ 5x faster than the SDK identity cache read",
            f"{sdk.med / ours_trait.med:.1f}x ({ours_trait.med:.1f} ns)",
            verdict(five_x),
            ""
            if five_x
            else "`provide_credentials()` hands the SDK a clone of its `Credentials`, whose "
            "property map (the `CredentialsStsAssumeRole` feature stamp) is cloned each time.",
        ),
        (
            "1 STS call per lifetime in every herd test",
            f"ours: 100 reads {sorted(set(burst))}, "
            f"{d.rust['cold_start']['tasks']:,}-task cold start "
            f"{sorted(set(herd_calls))}, moto {sorted(set(moto_calls))}, "
            f"16 parallel CLI runs {sorted(set(cli_calls))}, Python 50 reads {py_calls}",
            verdict(set(all_calls) == {1}),
            "" if set(all_calls) == {1} else "See the row 2, 4, 8 and 9 tables.",
        ),
        (
            "p99 read during refresh < 1 ms while the anchor waits for STS",
            f"ours p99 {ours_r.med:,.1f} µs (worst run {ours_r.hi:,.1f}); "
            f"SDK p99 {sdk_r.med / 1000:,.0f} ms",
            verdict(ours_r.hi < 1000 and sdk_r.med > 1000),
            "",
        ),
        *python_goals(d.py),
        ("CLI warm ≥ 20x faster than the AWS CLI", f"{cli_x:.1f}x", verdict(cli_x >= 20), ""),
    ]


def python_goals(py: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """The Python goals (read, import), judged on python.json alone."""
    py_x = py_read(py, BOTOCORE).med / py_read(py, OURS_READ).med
    py_boto_x = py_read(py, BOTOCORE).med / py_read(py, OURS_BOTO).med
    imp_x = py_import(py, "boto3").med / py_import(py, "cross_account").med
    return [
        (
            f"Python read ≥ {PY_READ_GOAL:.0f}x botocore",
            f"{py_x:.1f}x (`credentials()`), {py_boto_x:.1f}x (boto3 client via `boto3_session()`)",
            f"{verdict(py_x >= PY_READ_GOAL)} (`credentials()`); "
            f"{verdict(py_boto_x >= PY_READ_GOAL)} (boto3 client)",
            ""
            if py_x >= PY_READ_GOAL and py_boto_x >= PY_READ_GOAL
            else "A boto3 client reads through botocore's `get_frozen_credentials()` on "
            "`CrossAccountCredentials` (python/cross_account/_boto3.py): botocore's refresh "
            "check calls `refresh_needed()`, which makes a full `session.credentials()` "
            "(a new Python `Credentials` object) and compares access key ids, all in Python "
            "frames, every time. To close (python package, not changed here): let the native "
            "session expose a cheap change counter (or the current access key id) and return "
            "the cached frozen credentials while it is unchanged, or implement the botocore "
            "credentials object natively.",
        ),
        (
            f"import ≥ {PY_IMPORT_GOAL:.0f}x faster than boto3",
            f"{imp_x:.1f}x",
            verdict(imp_x >= PY_IMPORT_GOAL),
            "",
        ),
    ]


def table(rows: list[tuple[str, ...]]) -> str:
    """A Markdown table; the first row is the header."""
    out = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(out)


def detail_sections(d: Data) -> str:
    """Full tables per row: every variant, median (min-max), samples."""
    parts = []
    rows: list[tuple[str, ...]] = [("variant", "ns/read", "runs")]
    for name, xs in d.rust["hot_read_ns"].items():
        rows.append((name, Fig(xs).cell("{:.1f}"), str(len(xs))))
    parts.append("### Row 1: hot reads (ns per read, one batch per run)\n\n" + table(rows))

    rows = [("reads", "side", "STS calls", "runs")]
    for label, key in (
        ("100 back to back", "burst_100_reads"),
        (
            "100, one a simulated minute (100 min = 6.7 lifetimes of 900 s)",
            "one_read_a_minute_100_minutes",
        ),
    ):
        for name, xs in d.rust["sts_calls"][key].items():
            rows.append((label, name, Fig(xs).cell(), str(len(xs))))
    for side, label in (
        ("ours", "ours: credentials()"),
        ("sdk", SDK_CACHE),
        ("direct", "SDK: AssumeRoleProvider::provide_credentials() (uncached)"),
    ):
        xs = d.moto[side]["proxy_counted"]
        rows.append(
            ("100 back to back, **moto** (counted at a proxy)", label, Fig(xs).cell(), str(len(xs)))
        )
    parts.append("### Row 2: STS calls\n\n" + table(rows))

    rows = [("readers", "ours (M reads/s)", "SDK cache (M reads/s)", "ours / SDK")]
    for kind in ("threads", "tasks"):
        for n in READERS:
            o = d.rps("ours: credentials().await", n, kind)
            s = d.rps(SDK_CACHE, n, kind)
            rows.append(
                (
                    f"{n} {kind if n > 1 else kind[:-1]}",
                    millions(o).cell("{:.1f}"),
                    millions(s).cell("{:.1f}"),
                    f"{o.med / s.med:.1f}x",
                )
            )
    parts.append(
        "### Row 3: throughput (2 worker threads for tasks; one runtime per thread)\n\n"
        + table(rows)
    )

    cold = d.rust["cold_start"]
    rows = [("side", "STS calls", "p50 ms", "p99 ms", "max ms", "all done ms")]
    for name in ("ours: credentials().await", SDK_CACHE):
        rows.append(
            (
                name,
                *(
                    d.cold(name, m).cell("{:,.0f}" if m == "sts_calls" else "{:.1f}")
                    for m in ("sts_calls", "p50_ms", "p99_ms", "max_ms", "all_done_ms")
                ),
            )
        )
    parts.append(
        f"### Row 4: cold start, {cold['tasks']:,} tasks released at once, STS answers after "
        f"{cold['sts_delay_ms']:.0f} ms\n\n" + table(rows)
    )

    dr = d.rust["during_refresh"]
    rows = [("side", "reads", "p50 µs", "p99 µs", "max µs", "reads > 1 ms", "STS calls")]
    for name in ("ours: credentials().await (background refresh)", SDK_CACHE, OURS_IN_SDK):
        rows.append(
            (
                name,
                *(
                    d.refresh(name, m).cell("{:,.1f}" if m.endswith("_us") else "{:,.0f}")
                    for m in ("reads", "p50_us", "p99_us", "max_us", "reads_over_1ms", "sts_calls")
                ),
            )
        )
    parts.append(
        f"### Row 5: reads while a refresh is due; STS answers after {dr['sts_delay_ms']:.0f} ms; "
        f"reads arrive {dr['reads_per_second']}/s for {dr['window_ms']:.0f} ms, each in its own "
        "task\n\n" + table(rows)
    )
    parts.append(python_detail(d.py))
    parts.append(cli_detail(d))
    return "\n\n".join(parts)


def python_detail(py: dict[str, Any]) -> str:
    """Rows 6-8 and 10 (Python) in full, from python.json."""
    rows: list[tuple[str, ...]] = [("measure", "figure", "runs")]
    for name, v in py["import_ms"].items():
        rows.append((f"import {name}, ms", Fig(v["runs"]).cell("{:.1f}"), str(len(v["runs"]))))
    for name, v in py["read_ns"].items():
        rows.append((f"{name}, ns", Fig(v["batches"]).cell(), f"{len(v['batches'])} batches"))
    for name, n in py["sts_calls_per_50_reads_900s"].items():
        rows.append((f"STS calls, 50 reads: {name}", str(n), "1"))
    for name, v in py["rss_mib"].items():
        rows.append((f"RSS MiB: {name}", Fig(v["runs"]).cell("{:.1f}"), str(len(v["runs"]))))
    rows.append(("wheel, bytes", f"{py['wheel']['bytes']:,} ({py['wheel']['file']})", "1"))
    for name, n in py["installed_bytes"].items():
        rows.append((f"installed {name}, bytes", f"{n:,}", "1"))
    return "### Rows 6-8, 10: Python\n\n" + table(rows)


def cli_detail(d: Data) -> str:
    """Row 9 and the Rust side of row 10 in full."""
    rows: list[tuple[str, ...]] = [("measure", "figure", "runs")]
    for key, label in (
        ("credential_process_warm_ms", "`cross-account credential-process`, warm cache, ms"),
        ("aws_sts_assume_role_ms", "`aws sts assume-role`, ms"),
    ):
        f = d.cli_ms(key)
        rows.append((label, f.cell("{:.1f}"), str(len(f.xs))))
    for side, label in (("ours", "cross-account"), ("aws", "AWS CLI")):
        h = d.herd[side]
        rows.append(
            (
                f"16 parallel cold runs, {label}: STS calls",
                Fig(h["sts_calls"]).cell(),
                str(len(h["sts_calls"])),
            )
        )
        rows.append(
            (
                f"16 parallel cold runs, {label}: distinct access keys",
                Fig(h["distinct_keys"]).cell(),
                str(len(h["distinct_keys"])),
            )
        )
        rows.append(
            (
                f"16 parallel cold runs, {label}: wall ms",
                Fig(h["wall_ms"]).cell(),
                str(len(h["wall_ms"])),
            )
        )
    b = d.cli["binary_bytes"]
    rows.append(
        (
            "`cross-account` binary, bytes (release / stripped)",
            f"{b['release']:,} / {b['stripped']:,}",
            "1",
        )
    )
    for side, label in (
        ("ours", "CrossAccountSession"),
        ("sdk", "AssumeRoleProvider + identity cache"),
    ):
        rows.append(
            (
                f"RSS MiB, Rust process holding {label}",
                Fig(d.rss[side]).cell("{:.1f}"),
                str(len(d.rss[side])),
            )
        )
    return f"### Rows 9-10: command line (timed with {d.cli['tool']}) and Rust memory\n\n" + table(
        rows
    )


def plot(d: Data, path: Path) -> None:
    """One PNG: the headline comparisons, median bars with min-max whiskers, log scales."""
    import matplotlib as mpl  # noqa: PLC0415 - only needed here

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib import ticker  # noqa: PLC0415

    ours_c, anchor_c = "#1b7837", "#999999"
    fig, axes = plt.subplots(2, 3, figsize=(16, 9))

    def bars(ax: Any, items: list[tuple[str, Fig, bool]], title: str, unit: str) -> None:
        labels = [i[0] for i in items]
        meds = [i[1].med for i in items]
        err = [[i[1].med - i[1].lo for i in items], [i[1].hi - i[1].med for i in items]]
        colors = [ours_c if i[2] else anchor_c for i in items]
        left = min(i[1].lo for i in items) / 3
        ax.barh(labels, [m - left for m in meds], left=left, xerr=err, color=colors, capsize=3)
        ax.set_xscale("log")
        ax.set_xlim(left=left, right=max(i[1].hi for i in items) * 8)
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.tick_params(axis="y", labelsize=8)
        ax.invert_yaxis()
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(unit, fontsize=9)
        for y, i in enumerate(items):
            m = i[1].med
            ax.text(
                i[1].hi * 1.15, y, f"{m:,.0f}" if m >= 100 else f"{m:.3g}", va="center", fontsize=8
            )

    bars(
        axes[0][0],
        [
            ("ours cached_credentials()", d.hot("ours: cached_credentials() (sync)"), True),
            ("ours credentials().await", d.hot("ours: credentials().await"), True),
            ("ours provide_credentials()", d.hot("ours: provide_credentials().await"), True),
            ("ours in an SDK client", d.hot(OURS_IN_SDK), True),
            ("SDK identity cache", d.hot(SDK_CACHE), False),
        ],
        "1. Rust: read cached credentials (lower is better)",
        "ns per read",
    )
    ax = axes[0][1]
    for kind, style in (("tasks", "-o"), ("threads", "--s")):
        for name, color, label in (
            ("ours: credentials().await", ours_c, "ours"),
            (SDK_CACHE, anchor_c, "SDK cache"),
        ):
            figs = [d.rps(name, n, kind) for n in READERS]
            ax.errorbar(
                [str(n) for n in READERS],
                [f.med / 1e6 for f in figs],
                yerr=[[(f.med - f.lo) / 1e6 for f in figs], [(f.hi - f.med) / 1e6 for f in figs]],
                fmt=style,
                color=color,
                capsize=3,
                label=f"{label}, {kind}",
            )
    ax.set_ylim(bottom=0)
    ax.set_title("3. Rust: reads/s (higher is better)", fontsize=10)
    ax.set_xlabel("threads / tasks")
    ax.set_ylabel("million reads/s")
    ax.legend(fontsize=8)

    ours_r = "ours: credentials().await (background refresh)"
    bars(
        axes[0][2],
        [
            ("ours p50", d.refresh(ours_r, "p50_us"), True),
            ("ours p99", d.refresh(ours_r, "p99_us"), True),
            ("ours in SDK client p99", d.refresh(OURS_IN_SDK, "p99_us"), True),
            ("SDK cache p50", d.refresh(SDK_CACHE, "p50_us"), False),
            ("SDK cache p99", d.refresh(SDK_CACHE, "p99_us"), False),
        ],
        "5. Rust: read latency, refresh due, STS takes 2 s",
        "µs",
    )
    bars(
        axes[1][0],
        [
            ("import cross_account", d.py_import("cross_account"), True),
            ("import boto3", d.py_import("boto3"), False),
        ],
        "6. Python import (lower is better)",
        "ms",
    )
    bars(
        axes[1][1],
        [
            ("cross_account credentials()", d.py_read(OURS_READ), True),
            ("boto3 client via ours", d.py_read(OURS_BOTO), True),
            ("botocore assume-role", d.py_read(BOTOCORE), False),
        ],
        "7. Python read (lower is better)",
        "ns per read",
    )
    bars(
        axes[1][2],
        [
            (
                "credential-process (warm)",
                d.cli_ms("credential_process_warm_ms"),
                True,
            ),
            ("aws sts assume-role", d.cli_ms("aws_sts_assume_role_ms"), False),
        ],
        "9. Command line per invocation (lower is better)",
        "ms",
    )
    m = d.meta["machine"]
    fig.suptitle(
        f"cross-account (green) vs the SDKs (grey): medians, whiskers min-max; "
        f"{m['nproc']} cores, {m['cpu']}; bench/run",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def versions(d: Data) -> str:
    """The versions of everything measured."""
    m = d.meta
    c, p = m["crates"], m["python_packages"]
    rows = [
        ("component", "version"),
        ("cross-account (this repo)", f"{c.get('cross-account', '?')}, wheel {m['wheel']}"),
        ("aws-config / aws-sdk-sts", f"{c.get('aws-config')} / {c.get('aws-sdk-sts')}"),
        (
            "aws-smithy-runtime / -runtime-api / aws-credential-types",
            f"{c.get('aws-smithy-runtime')} / {c.get('aws-smithy-runtime-api')} / "
            f"{c.get('aws-credential-types')}",
        ),
        ("tokio / arc-swap", f"{c.get('tokio')} / {c.get('arc-swap')}"),
        ("rustc", m["rustc"]),
        ("Python", m["python"]),
        ("boto3 / botocore (anchors of rows 6-8, 10)", f"{p['boto3']} / {p['botocore']}"),
        ("AWS CLI (row 9)", f"{m['aws_cli']} (`{m['aws_cli_path']}`)"),
        ("moto (local STS)", p["moto"]),
        ("CLI timing", d.cli["tool"]),
    ]
    return table(rows)


def machine_line(d: Data) -> str:
    """One line: the machine and its load while the run went on."""
    m, meta = d.meta["machine"], d.meta
    return (
        f"{m['nproc']} cores (`nproc`), {m['cpu']} (/proc/cpuinfo), {m['memory']} RAM, Linux "
        f"{m['kernel']}, clocksource {m['clocksource']}; load average "
        f"{' '.join(meta['loadavg_start'])} at the start, {' '.join(meta['loadavg_end'])} at "
        f"the end (the cores are shared); {meta['started']}, {meta['seconds']:.0f} s"
    )


def flagged(d: Data) -> list[str]:
    """Every figure whose max/min spread is over the threshold."""
    out = []

    def walk(prefix: str, x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                walk(f"{prefix} / {k}" if prefix else k, v)
        elif isinstance(x, list) and len(x) > 1 and all(isinstance(v, (int, float)) for v in x):
            f = Fig([float(v) for v in x])
            if f.wide:
                out.append(f"{prefix}: {f.lo:,.4g}-{f.hi:,.4g} ({f.hi / f.lo:.1f}x)")

    walk("rust", d.rust)
    walk("python import", {k: v["runs"] for k, v in d.py["import_ms"].items()})
    walk("python read", {k: v["batches"] for k, v in d.py["read_ns"].items()})
    walk(
        "cli",
        {k: d.cli[k]["runs_ms"] for k in ("credential_process_warm_ms", "aws_sts_assume_role_ms")},
    )
    return out


NOTES = Path(__file__).with_name("report_notes.md")


def report(d: Data, out: Path) -> str:
    """Write REPORT.md and the plot; return the summary table."""
    plot(d, out / PLOT)
    summary = table(summary_rows(d))
    goal_table = table([("goal", "measured", "verdict", "why, and what would close it"), *goals(d)])
    wide = flagged(d)
    quick = "\n\n**Quick (smoke) run: not for figures.**" if d.meta.get("quick") else ""
    text = f"""# Benchmarks: cross-account next to the SDKs people would use instead

Generated by `bench/run` (one command; all comparisons in one run, same machine, local STS on
127.0.0.1). Machine: {machine_line(d)}.{quick}

Cells are **median (min-max)** over repeated runs; ⚠ marks a max/min spread over
{SPREAD_FLAG:.0f}x. Ratios are anchor / ours from the medians, with the conservative ratio in
brackets (the anchor's best run against ours' worst).

![cross-account vs the SDKs]({PLOT})

## Summary

{summary}

## Goals

{goal_table}

## Versions

{versions(d)}

{NOTES.read_text().strip() if NOTES.exists() else ""}

{d.pool_section()}
## All figures

{detail_sections(d)}

### Wide spreads (max/min > {SPREAD_FLAG:.0f}x)

{chr(10).join(f"- {w}" for w in wide) if wide else "None."}

Raw JSON of this run: `bench/results/raw/` (not committed).
"""
    (out / "REPORT.md").write_text(text)
    return summary


def main() -> int:
    """Read --raw, write --out/REPORT.md and the plot, print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    d = Data(args.raw)
    summary = report(d, args.out)
    print(f"\n{machine_line(d)}\n")
    print(summary)
    print()
    print(table([("goal", "measured", "verdict"), *(g[:3] for g in goals(d))]))
    print(f"\nwrote {args.out / 'REPORT.md'} and {args.out / PLOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
