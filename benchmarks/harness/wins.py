"""The cheap-wins section: the idempotent run with one change at a time against the base."""

from __future__ import annotations

import shutil

from .common import REPO, ratios, stats

PLAY_VARIANTS = ("gather_subset min+network", "no play facts", "fact cache + gather_subset")


def run(bench, inv, n):
    runner = bench.runner
    variants = bench.cfg["wins"]
    out = {"hosts": n, "reps": bench.cfg["wins_reps"], "variants": {}}
    bench.results["sections"]["wins"] = out
    runs = {v: [] for v in variants}
    shutil.rmtree(bench.work / "facts", ignore_errors=True)
    playbooks = {v: runner.variant_playbook(v) if v in PLAY_VARIANTS else REPO / bench.playbook for v in variants}
    for v in [v for v in variants if playbooks[v] is None]:
        out["variants"][v] = {"not_applicable": f"no play of {bench.playbook} gathers facts"}
    variants = [v for v in variants if playbooks[v] is not None]
    # Warm the fact cache (the first run of a cache is an ordinary run).
    for v in variants:
        if "fact cache" in v:
            runner.playbook_run(playbooks[v], inv, f"{n} hosts: warm the fact cache ({v})", n, v)
    for r in range(bench.cfg["wins_reps"]):
        order = variants[r % len(variants) :] + variants[: r % len(variants)]
        for v in order:
            res = runner.playbook_run(playbooks[v], inv, f"{n} hosts idempotent, {v} #{r + 1}", n, v)
            runs[v].append(res["seconds"] if res["rc"] == 0 and res["changed"] == 0 else None)
            if res["rc"] == 0 and res["changed"]:
                out.setdefault("not_idempotent", []).append(v)
    for v in variants:
        out["variants"][v] = {"seconds": stats(runs[v]), "over_base": ratios(runs[v], runs["base"]), "runs": runs[v]}
