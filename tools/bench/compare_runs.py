#!/usr/bin/env python3
"""Before and after: two mmreg_bench CSVs of the same cases (same command, same seed), one
table per group and pipeline. "Accepted" is a written result (exit 0); before the verdict every
fitted model was. "Within 3 px" counts accepted results; "models within 3 px" also counts the
models the verdict refused (the CSV's refused_true_err_px), so it compares the registrations
themselves. Usage: compare_runs.py BEFORE.csv AFTER.csv [PIPELINE ...]"""
import csv
import math
import sys
from collections import defaultdict

WRONG_PX = 5.0
SUCCESS_PX = 3.0


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def summarise(path, pipelines):
    table = defaultdict(lambda: {"cases": 0, "within": 0, "wrong": 0, "models": 0, "disputed": 0})
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if pipelines and row["pipeline"] not in pipelines:
                continue
            # Before the verdict every fitted model was written; since, the verified ones (the
            # benchmark keeps no doubtful result).
            accepted = row["verdict"] == "verified" if "verdict" in row else row["model"] != ""
            err = number(row["true_check_rmse_px"])
            if math.isnan(err):
                err = number(row["true_grid_rmse_px"])
            refused = number(row.get("refused_true_err_px"))
            for key in ((row["group"], row["pipeline"]), ("all", row["pipeline"])):
                t = table[key]
                t["cases"] += 1
                if accepted and err < SUCCESS_PX:
                    t["within"] += 1
                if "accepted_wrong" in row:
                    t["wrong"] += row["accepted_wrong"] == "1"
                    t["disputed"] += accepted and not err <= WRONG_PX and row["accepted_wrong"] != "1"
                else:
                    t["wrong"] += accepted and not err <= WRONG_PX
                t["models"] += (accepted and err < SUCCESS_PX) or refused < SUCCESS_PX
    return table


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    pipelines = set(sys.argv[3:])
    before, after = summarise(sys.argv[1], pipelines), summarise(sys.argv[2], pipelines)
    print("| group | pipeline | cases | within 3 px: before → after | accepted but wrong: before → after "
          "| models within 3 px (accepted or refused): before → after |")
    print("|---|---|---|---|---|---|")
    keys = sorted(k for k in after if k[0] != "all") + sorted(k for k in after if k[0] == "all")
    for key in keys:
        b, a = before.get(key), after[key]
        if not b:
            continue
        name = "**all**" if key[0] == "all" else key[0]
        wrong_after = str(a["wrong"]) + (f" (+{a['disputed']} disputed)" if a["disputed"] else "")
        print(f"| {name} | {key[1]} | {a['cases']} | {b['within']} → {a['within']} | {b['wrong']} → {wrong_after} "
              f"| {b['models']} → {a['models']} |")


if __name__ == "__main__":
    main()
