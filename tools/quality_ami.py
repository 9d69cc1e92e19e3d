#!/usr/bin/env python3
"""Issue 17: AMI (with ARI and NMI) of every representation x algorithm of a `musiclust run` results
folder, at the segment and the track level, mean ± std over its seeds (metrics.csv has ARI and NMI but
no AMI). The track's cluster is the majority of its segments' clusters (ties: the smallest cluster id,
as mc_metrics_track_vote), its label the label of its segments.

  python3 tools/quality_ami.py RESULTS [--label genre]
"""
import argparse, csv, glob, os, re
import numpy as np
from sklearn.metrics import adjusted_mutual_info_score as ami, adjusted_rand_score as ari, \
    normalized_mutual_info_score as nmi


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--label", default="genre")
    a = ap.parse_args()
    with open(os.path.join(a.results, "features", "index.tsv"), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    track = np.array([int(r["track"]) for r in rows])
    lab = np.array([r[a.label] for r in rows])
    T = np.unique(track)
    tl = np.array([lab[track == t][0] for t in T])
    groups = {}
    for p in sorted(glob.glob(os.path.join(a.results, "assign", "*.tsv"))):
        m = re.match(r"(.+)\.([a-z]+)\.seed(\d+)\.tsv$", os.path.basename(p))
        if m:
            groups.setdefault((m.group(1), m.group(2)), []).append(p)
    print("representation\talgorithm\tlevel\tseeds\tAMI\tARI\tNMI")
    for (rep, algo), paths in groups.items():
        for level in ("segment", "track"):
            sc = []
            for p in paths:
                with open(p, newline="") as f:
                    c = np.array([int(r["cluster"]) for r in csv.DictReader(f, delimiter="\t")])
                keep = lab != ""
                if level == "segment":
                    y, z = lab[keep], c[keep]
                else:
                    z = []
                    for t in T:
                        cc = c[track == t]
                        cc = cc[cc >= 0]
                        z.append(np.bincount(cc).argmax() if len(cc) else -1)
                    y, z = tl, np.array(z)
                sc.append((ami(y, z), ari(y, z), nmi(y, z)))
            s = np.array(sc)
            mu, sd = s.mean(0), s.std(0)
            print(f"{rep}\t{algo}\t{level}\t{len(paths)}\t{mu[0]:.3f} ± {sd[0]:.3f}\t{mu[1]:.3f} ± {sd[1]:.3f}\t"
                  f"{mu[2]:.3f} ± {sd[2]:.3f}")


if __name__ == "__main__":
    main()
