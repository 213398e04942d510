#!/usr/bin/env python3
"""Compares two allocation outputs (area_summary.csv of gapmap allocate) side
by side: served by tier, communes (deepest areas) with nobody served, the
spread of tier-1 coverage over communes, and how many communes receive a
different number of devices. Usage: tier-order-compare.py STRICT_DIR FAIR_DIR"""
import csv
import sys


def load(d):
    with open(d + "/area_summary.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    total = rows[0]
    areas = rows[1:]
    parents = {a["parent_code"] for a in areas}
    leaves = [a for a in areas if a["area_code"] not in parents]
    return total, leaves


def figures(d):
    total, leaves = load(d)
    n = lambda r, k: int(r[k])
    with_needs = [a for a in leaves if n(a, "needs") > 0]
    t1 = [n(a, "allocated_tier1") / n(a, "needs_tier1") for a in with_needs if n(a, "needs_tier1") > 0]
    mountain = [a for a in with_needs if "mountain" in a["priority_tags"]]
    return {
        "devices allocated": n(total, "allocated_tier1") + n(total, "allocated_tier2") + n(total, "allocated_tier3"),
        "tier 1 served": f'{n(total, "allocated_tier1")} of {n(total, "needs_tier1")}',
        "tier 2 served": f'{n(total, "allocated_tier2")} of {n(total, "needs_tier2")}',
        "tier 3 served": f'{n(total, "allocated_tier3")} of {n(total, "needs_tier3")}',
        "tier 3 served while a tier-1 need waits in the province": n(total, "allocated_tier3") if n(total, "allocated_tier1") < n(total, "needs_tier1") else 0,
        "communes with needs and nobody served": sum(1 for a in with_needs if n(a, "allocated") == 0),
        "tier-1 coverage of communes, min – max": f"{100 * min(t1):.0f} % – {100 * max(t1):.0f} %" if t1 else "–",
        "devices to mountain communes (×1.5)": sum(n(a, "allocated") for a in mountain),
        "tier 1–2 pupils equipped": f'{total["tier12_equipped_pct"]} %',
        "pupils equipped (every pupil)": f'{total["equipped_pct"]} %',
    }, {a["area_code"]: n(a, "allocated") for a in leaves}


a, la = figures(sys.argv[1])
b, lb = figures(sys.argv[2])
print("| measure | strict | fair |")
print("|---|---:|---:|")
for k in a:
    print(f"| {k} | {a[k]} | {b[k]} |")
diff = sum(1 for c in la if la[c] != lb.get(c))
print(f"| communes receiving a different number of devices | {diff} of {len(la)} | |")
