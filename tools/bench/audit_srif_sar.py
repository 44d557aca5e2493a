#!/usr/bin/env python3
"""Checks SRIF Optical-SAR's gt_N.txt files against mmreg's own registrations of the pairs.

Each pair is registered unreferenced (the optical image given a plain geotransform, the SAR
image none, so the coarse pass searches rotation and scale; -model similarity; the gt file is
not used). For every verified pair it prints the largest distance, at five points of the SAR
image, between mmreg's model and the gt, and the model's scale against (optical side / 256):
the SAR images are 256 px. Refused pairs are counted. Used for docs/ACCURACY.md (2026-11-29).

usage: tools/bench/audit_srif_sar.py BUILD_DIR SRIF_OPTICAL_SAR_DIR WORK_DIR [N_PARALLEL]
"""
import json
import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def invert(m):
    a, b, c, d, e, f = m
    det = a * e - b * d
    return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det]


def size(path):
    out = subprocess.run(["gdalinfo", path], capture_output=True, text=True).stdout
    m = re.search(r"Size is (\d+), (\d+)", out)
    return int(m[1]), int(m[2])


def audit(build, data, work, n):
    gt = [float(x) for x in open(f"{data}/gt_{n}.txt").read().split()]
    sensed_to_ref = invert(gt)  # gt maps image 1 (optical) -> image 2 (SAR)
    rw, rh = size(f"{data}/pair{n}_1.jpg")
    sw, sh = size(f"{data}/pair{n}_2.jpg")
    w = f"{work}/{n}"
    os.makedirs(w, exist_ok=True)
    # 10 m pixels from (500000, 4000000): reference pixel (x, y) is at (500000 + 10 x, 4000000 - 10 y).
    subprocess.run(["gdal_translate", "-q", "-b", "1", "-a_srs", "EPSG:32611", "-a_ullr", "500000", "4000000",
                    str(500000 + 10 * rw), str(4000000 - 10 * rh), f"{data}/pair{n}_1.jpg", f"{w}/ref.tif"], check=True)
    subprocess.run(["gdal_translate", "-q", "-b", "1", f"{data}/pair{n}_2.jpg", f"{w}/sar.tif"], check=True)
    r = subprocess.run([f"{build}/gdal_driver/mmreg", "-q", "-georef_only", "-model", "similarity", "-overwrite",
                        f"{w}/ref.tif", f"{w}/sar.tif", f"{w}/out.tif"], capture_output=True, text=True)
    if r.returncode != 0:
        return n, None
    g = json.loads(subprocess.run(["gdalinfo", "-json", f"{w}/out.tif"], capture_output=True, text=True).stdout)["geoTransform"]
    worst = 0.0
    for x, y in [(sw * 0.25, sh * 0.25), (sw * 0.75, sh * 0.25), (sw * 0.25, sh * 0.75), (sw * 0.75, sh * 0.75), (sw / 2, sh / 2)]:
        mx = (g[0] + g[1] * x + g[2] * y - 500000) / 10
        my = (4000000 - (g[3] + g[4] * x + g[5] * y)) / 10
        tx = sensed_to_ref[0] * x + sensed_to_ref[1] * y + sensed_to_ref[2]
        ty = sensed_to_ref[3] * x + sensed_to_ref[4] * y + sensed_to_ref[5]
        worst = max(worst, math.hypot(mx - tx, my - ty))
    scale = math.hypot(g[1], g[4]) / 10
    return n, (worst, scale * sw / rw - 1, math.hypot(gt[0], gt[3]))


def main():
    build, data, work = sys.argv[1:4]
    parallel = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    ids = sorted(int(f[3:-4]) for f in os.listdir(data) if f.startswith("gt_"))
    with ThreadPoolExecutor(parallel) as pool:
        results = list(pool.map(lambda n: audit(build, data, work, n), ids))
    verified = [(n, r) for n, r in results if r]
    for n, (worst, rel, gt_scale) in verified:
        print(f"pair {n}: {worst:.1f} px from gt; model scale / (optical side / 256) - 1 = {rel:+.3f}; gt scale {gt_scale:.3f}")
    print(f"{len(verified)} of {len(results)} pairs verified, {len(results) - len(verified)} refused")
    if verified:
        worst = sorted(r[0] for _, r in verified)
        rel = sorted(r[1] for _, r in verified)
        print(f"distance from gt: {worst[0]:.1f} to {worst[-1]:.1f} px; within 5 px: {sum(1 for w in worst if w <= 5)}")
        print(f"model scale against side / 256: {rel[0]:+.3f} to {rel[-1]:+.3f}, median {rel[len(rel) // 2]:+.3f}")


if __name__ == "__main__":
    main()
