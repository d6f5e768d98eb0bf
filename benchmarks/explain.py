"""Do the explanations find the features that made a row abnormal? (issue 24)

Outliers with known causes are planted in inlier rows, and each method's
per-feature attributions are checked against the planted features.

Run from the repository root (``pip install -e ".[benchmarks]"``, which
brings ``shap`` and ``captum``)::

    python -m benchmarks.explain                        # the committed run (~15 min, 1 core)
    python -m benchmarks.explain --quick --out /tmp/ex  # smoke test, about a minute

and it writes ``summary.md`` (the tables, with this command on top),
``explain_results.csv`` (one line per seed, data set, kind, k and method;
not named ``results.csv``, which marks the runner's runs), ``run.json``,
``speed.json`` and
``explain_precision.png`` to ``--out`` (default ``benchmarks/results/explain``).

Protocol
--------
*Inliers.* The inlier rows (label 0) of five ODDS sets (cardio, wbc, pima,
satellite, mnist), with features whose most frequent value covers more
than half of the rows dropped (mnist's mostly-blank pixels: a quantile of
such a feature says little), at most 2000 rows and 100 features drawn at
random; and correlated Gaussian rows (a factor model: ``d // 5`` factors,
N(0, 1) loadings, noise of standard deviation 0.5) with d = 6, 20 and 100.
Each set is split 70/30 at random into training rows and a pool, and
standardised with the training rows' mean and standard deviation.

*Outliers.* A pool row with ``k`` (1, 2 or 3) of its ``d`` features changed:

``extreme``
    the feature set to ``+-U(5, 8)`` training standard deviations from the
    training mean (random sign): far into its tail.
``contextual``
    the feature set to a value that other training rows have, inside the
    feature's own 5-95 % training range, but at least 3 residual standard
    deviations away from what a linear regression on the row's other
    features predicts (fitted on the training rows): a value that is normal
    on its own and breaks the feature's correlation with the others. Only
    features that the others predict with R^2 >= 0.5 are changed (a feature
    that nothing predicts has no context to break); a set with fewer than
    ``k`` of them is skipped for that ``k`` (pima has none).

``--n-outliers`` (100) outliers per (set, kind, k, seed), 3 seeds.

*Detectors.* Every detector is fitted on the training rows (inliers only)
and explains the planted outliers; nothing is tuned to a data set or to the
outliers. SLA2P uses its defaults (``SLA2P(random_state=seed)``).

*Methods.* ``SLA2P explain`` (the library's default, occlusion);
``SLA2P gradient`` (``explain(method="gradient")``); Captum's integrated
gradients of SLA2P's score (:func:`pyod_sla2p.explain.differentiable_score`)
from the training mean (``IG, mean``) and averaged over 4 random training
rows (``IG, 4 training rows``), 32 and 8 Gauss-Legendre steps, on the first
``--ig-rows`` outliers of a setting; COPOD's and ECOD's per-dimension outlier
scores (the ``O`` matrix their ``explain_outlier`` draws); the per-feature
``|z|`` score; SHAP's ``KernelExplainer`` on SLA2P's and on IForest's
``decision_function`` (background ``shap.kmeans(training rows, 10)``,
``nsamples = max(200, 2 d + 50)``), on the first ``--shap-rows`` outliers of
a setting, because it costs about a second per row.

*Metric.* precision@k: the share of the ``k`` planted features among the
``k`` features with the largest attribution (signed: the features that push
the score up), averaged over the outliers of a setting. Time: wall seconds
per 1,000 explained rows on one thread (the method's own rows). The speed
section times 1,000 rows x 20 features on 1 and 2 threads, beside
KernelExplainer on SLA2P.
"""

import argparse
import json
import os
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results" / "explain"
COMMAND = "python -m benchmarks.explain"
# Not results.csv: a folder of benchmarks/results/ with one is a runner's run.
RESULTS_CSV = "explain_results.csv"

REAL_SETS = ("cardio", "wbc", "pima", "satellite", "mnist")
GAUSSIAN_DIMS = (6, 20, 100)
KINDS = ("extreme", "contextual")
KS = (1, 2, 3)
SEEDS = (0, 1, 2)

MAX_INLIERS = 2000
MAX_FEATURES = 100
TRAIN_SHARE = 0.7
# A feature counts as "mostly one value" (and is dropped) above this share.
MAX_MODE_SHARE = 0.5
EXTREME_SD = (5.0, 8.0)
CONTEXT_RANGE = (0.05, 0.95)
CONTEXT_MIN_R2 = 0.5
CONTEXT_RESIDUAL_SD = 3.0
# KernelExplainer's settings (reported in the tables).
SHAP_BACKGROUND = 10
SHAP_MIN_SAMPLES = 200
# Integrated gradients' settings.
IG_MEAN_STEPS = 32
IG_TRAIN_ROWS, IG_TRAIN_STEPS = 4, 8

METHODS = {  # key: (label, group)
    "sla2p_explain": ("SLA2P explain (occlusion, default)", "main"),
    "sla2p_gradient": ("SLA2P explain, method='gradient'", "main"),
    "ig_mean": ("SLA2P, Captum IG from training mean", "candidate"),
    "ig_train": ("SLA2P, Captum IG from 4 training rows", "candidate"),
    "copod": ("COPOD per-dimension O", "main"),
    "ecod": ("ECOD per-dimension O", "main"),
    "zscore": ("per-feature |z|", "main"),
    "shap_sla2p": ("KernelSHAP on SLA2P", "main"),
    "shap_iforest": ("KernelSHAP on IForest", "main"),
}
SUBSET_METHODS = {"ig_mean", "ig_train", "shap_sla2p", "shap_iforest"}


# --------------------------------------------------------------------- data
def default_data_dir():
    """``$PYOD_SLA2P_DATA``, else ``../shared/datasets`` beside the repository."""
    env = os.environ.get("PYOD_SLA2P_DATA", "").strip()
    return Path(env) if env else REPO_ROOT.parent / "shared" / "datasets"


def _mode_share(column):
    _, counts = np.unique(column, return_counts=True)
    return counts.max() / len(column)


def real_inliers(name, data_dir, rng):
    """The inlier rows of an ODDS set: spread-out features, capped rows and features."""
    from pyod_sla2p.datasets import load_dataset

    data = load_dataset(name, data_dir=data_dir)
    X = np.asarray(data.X, dtype=np.float64)[np.asarray(data.y).ravel() == 0]
    X = X[:, [j for j in range(X.shape[1]) if _mode_share(X[:, j]) <= MAX_MODE_SHARE]]
    if X.shape[0] > MAX_INLIERS:
        X = X[np.sort(rng.choice(X.shape[0], MAX_INLIERS, replace=False))]
    if X.shape[1] > MAX_FEATURES:
        X = X[:, np.sort(rng.choice(X.shape[1], MAX_FEATURES, replace=False))]
    return X


def gaussian_inliers(d, rng, n=MAX_INLIERS):
    """Correlated Gaussian rows from a factor model with ``max(2, d // 5)`` factors."""
    loadings = rng.normal(size=(d, max(2, d // 5)))
    return rng.normal(size=(n, loadings.shape[1])) @ loadings.T + 0.5 * rng.normal(size=(n, d))


def split(X, rng):
    """Training rows and pool, standardised by the training rows."""
    order = rng.permutation(len(X))
    cut = int(TRAIN_SHARE * len(X))
    train, pool = X[order[:cut]], X[order[cut:]]
    mean, sd = train.mean(axis=0), train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (train - mean) / sd, (pool - mean) / sd


class Context:
    """Least-squares prediction of each feature from the others (training rows)."""

    def __init__(self, X):
        n, d = X.shape
        A = np.column_stack([X, np.ones(n)])
        self.models, self.residual_sd, self.r2 = [], np.empty(d), np.empty(d)
        for j in range(d):
            others = np.r_[np.delete(np.arange(d), j), d]
            coef = np.linalg.lstsq(A[:, others], X[:, j], rcond=None)[0]
            residual = X[:, j] - A[:, others] @ coef
            self.models.append((others, coef))
            self.residual_sd[j] = residual.std()
            self.r2[j] = 1.0 - residual.var() / max(X[:, j].var(), 1e-300)

    def predict(self, x, j):
        others, coef = self.models[j]
        return np.r_[x, 1.0][others] @ coef


def plant(kind, k, n_out, pool, train, context, rng, max_tries=50):
    """``n_out`` outliers with ``k`` planted features; (rows, mask) or (None, None)."""
    d = pool.shape[1]
    eligible = (np.arange(d) if kind == "extreme"
                else np.flatnonzero(context.r2 >= CONTEXT_MIN_R2))
    if len(eligible) < k:
        return None, None
    low, high = np.quantile(train, CONTEXT_RANGE, axis=0)
    rows, masks = [], []
    for _ in range(max_tries * n_out):
        if len(rows) == n_out:
            break
        x = pool[rng.integers(len(pool))].copy()
        features = rng.choice(eligible, k, replace=False)
        for j in features:
            if kind == "extreme":
                x[j] = rng.choice([-1.0, 1.0]) * rng.uniform(*EXTREME_SD)
                continue
            values = train[:, j]
            far = np.abs(values - context.predict(x, j)) >= (
                CONTEXT_RESIDUAL_SD * context.residual_sd[j])
            candidates = values[(values >= low[j]) & (values <= high[j]) & far]
            if len(candidates) == 0:
                break  # this row cannot be made contextual here: draw another
            x[j] = rng.choice(candidates)
        else:
            mask = np.zeros(d, dtype=bool)
            mask[features] = True
            rows.append(x)
            masks.append(mask)
    if len(rows) < n_out:
        return None, None
    return np.array(rows), np.array(masks)


def precision_at_k(attributions, mask):
    """Per row: share of the planted features among the k largest attributions."""
    out = np.empty(len(attributions))
    for i, (a, m) in enumerate(zip(attributions, mask)):
        top = np.argsort(-a, kind="stable")[:m.sum()]
        out[i] = m[top].mean()
    return out


def data_sets(quick):
    if quick:
        return [("cardio", None), ("gaussian d=20", 20)]
    return [(name, None) for name in REAL_SETS] + [
        (f"gaussian d={d}", d) for d in GAUSSIAN_DIMS]


def inliers(name, dim, data_dir, rng):
    return gaussian_inliers(dim, rng) if dim is not None else real_inliers(name, data_dir, rng)


# ------------------------------------------------------------------ methods
class Explainers:
    """The fitted detectors of one (set, seed) and each method's attributions."""

    def __init__(self, train, seed):
        import shap
        from pyod.models.copod import COPOD
        from pyod.models.ecod import ECOD
        from pyod.models.iforest import IForest

        from pyod_sla2p import SLA2P

        self.train, self.seed = train, seed
        start = time.perf_counter()
        self.sla2p = SLA2P(random_state=seed).fit(train)
        self.fit_seconds = time.perf_counter() - start
        self.iforest = IForest(random_state=seed).fit(train)
        self.copod_model, self.ecod_model = COPOD().fit(train), ECOD().fit(train)
        self.background = shap.kmeans(train, SHAP_BACKGROUND)
        self.nsamples = max(SHAP_MIN_SAMPLES, 2 * train.shape[1] + 50)
        rng = np.random.default_rng(seed)
        self.ig_refs = train[rng.choice(len(train), IG_TRAIN_ROWS, replace=False)]

    def attribute(self, method, X):
        return getattr(self, method)(X)

    def sla2p_explain(self, X):
        return self.sla2p.explain(X)

    def sla2p_gradient(self, X):
        return self.sla2p.explain(X, method="gradient")

    def _ig(self, X, refs, steps):
        import torch
        from captum.attr import IntegratedGradients

        from pyod_sla2p.explain import differentiable_score

        refs = np.atleast_2d(refs)
        ig = IntegratedGradients(differentiable_score(self.sla2p, device="cpu"))
        x = torch.as_tensor(X)
        total = 0
        for ref in refs:
            base = torch.as_tensor(ref).expand_as(x).contiguous()
            total = total + ig.attribute(x, baselines=base, n_steps=steps).detach().numpy()
        attributions = total / len(refs)
        # Completeness: the attributions should sum to score(x) - mean score(refs).
        contrast = self.sla2p.decision_function(X) - self.sla2p.decision_function(refs).mean()
        self.last_completeness = (float(np.mean(np.abs(attributions.sum(axis=1) - contrast))),
                                  float(np.mean(np.abs(contrast))))
        return attributions

    def ig_mean(self, X):
        pre = self.sla2p.views_[0].preprocessor
        return self._ig(X, pre.mean_ * pre.unit_, IG_MEAN_STEPS)

    def ig_train(self, X):
        return self._ig(X, self.ig_refs, IG_TRAIN_STEPS)

    def _o_matrix(self, detector, X):
        # decision_function appends X to the training rows and recomputes the
        # per-dimension scores O of all of them; the last rows are X's.
        detector.decision_function(X)
        return np.asarray(detector.O)[-len(X):]

    def copod(self, X):
        return self._o_matrix(self.copod_model, X)

    def ecod(self, X):
        return self._o_matrix(self.ecod_model, X)

    def zscore(self, X):
        # The training rows are standardised, so |x| is the |z|-score.
        return np.abs(X)

    def _shap(self, detector, X):
        import shap

        explainer = shap.KernelExplainer(detector.decision_function, self.background)
        np.random.seed(self.seed)  # KernelExplainer draws its coalitions from it
        return np.asarray(explainer.shap_values(X, nsamples=self.nsamples, silent=True))

    def shap_sla2p(self, X):
        return self._shap(self.sla2p, X)

    def shap_iforest(self, X):
        return self._shap(self.iforest, X)


# -------------------------------------------------------------------- run
def run_setting(explainers, X, mask, args):
    """Each method's per-row precision@k and seconds on the rows of one setting."""
    out = {}
    for method in METHODS:
        if method in SUBSET_METHODS:
            limit = args.shap_rows if method.startswith("shap") else args.ig_rows
        else:
            limit = len(X)
        rows = X[:limit]
        start = time.perf_counter()
        attributions = explainers.attribute(method, rows)
        seconds = time.perf_counter() - start
        extra = {}
        if method in ("ig_mean", "ig_train"):
            gap, contrast = explainers.last_completeness
            extra = {"ig_completeness_gap": gap, "ig_contrast": contrast}
        out[method] = (precision_at_k(np.asarray(attributions), mask[:limit]), seconds, extra)
    return out


def run(args):
    """Every (seed, set, kind, k): a list of result dicts, and the skipped settings."""
    records, skipped = [], []
    seeds = (0,) if args.quick else SEEDS
    for seed in seeds:
        for name, dim in data_sets(args.quick):
            rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
            train, pool = split(inliers(name, dim, args.data_dir, rng), rng)
            context = Context(train)
            explainers = Explainers(train, seed)
            print(f"seed {seed}, {name}: {train.shape[0]} training rows x {train.shape[1]} "
                  f"features, {int(np.sum(context.r2 >= CONTEXT_MIN_R2))} predictable "
                  f"(R^2 >= {CONTEXT_MIN_R2}); SLA2P fit {explainers.fit_seconds:.1f} s",
                  flush=True)
            for kind in KINDS:
                for k in KS:
                    X, mask = plant(kind, k, args.n_outliers, pool, train, context, rng)
                    if X is None:
                        skipped.append((seed, name, kind, k))
                        continue
                    per_method = run_setting(explainers, X, mask, args)
                    for method, (precision, seconds, extra) in per_method.items():
                        records.append({
                            "seed": seed, "dataset": name, "n_features": train.shape[1],
                            "kind": kind, "k": k, "method": method, "rows": len(precision),
                            "precision": precision.mean(),
                            "precision_shap_rows": precision[:args.shap_rows].mean(),
                            "precision_ig_rows": (precision[:args.ig_rows].mean()
                                                  if len(precision) >= args.ig_rows
                                                  or method in ("ig_mean", "ig_train")
                                                  else np.nan),
                            "seconds": seconds, **extra})
                    print(f"  {kind:10s} k={k}: " + "  ".join(
                        f"{m}={p.mean():.2f}" for m, (p, _, _) in per_method.items()), flush=True)
    return records, skipped


def speed(args):
    """Seconds to explain 1,000 rows x 20 features, on 1 and 2 threads, beside KernelSHAP."""
    import torch
    from threadpoolctl import threadpool_limits

    n_rows = 200 if args.quick else 1000
    rng = np.random.default_rng([0, zlib.crc32(b"speed")])
    train, pool = split(gaussian_inliers(20, rng), rng)
    X = pool[rng.integers(len(pool), size=n_rows)]
    explainers = Explainers(train, 0)
    out = {"rows": n_rows, "features": 20}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        with threadpool_limits(limits=threads):
            explainers.sla2p.explain(X[:10])  # warm-up (allocations, first-call costs)
            for method in ("sla2p_explain", "sla2p_gradient"):
                # The best of 5: on a shared machine the other jobs only add time.
                # CPU time too: with one thread it does not depend on their load.
                best = (np.inf, np.inf)
                for _ in range(5):
                    start, cpu = time.perf_counter(), time.process_time()
                    explainers.attribute(method, X)
                    best = min(best, (time.perf_counter() - start, time.process_time() - cpu))
                out[f"{method}_{threads}"] = best[0] * 1000 / n_rows
                out[f"{method}_{threads}_cpu"] = best[1] * 1000 / n_rows
            n_shap = 2 if args.quick else 5
            start = time.perf_counter()
            explainers.attribute("shap_sla2p", X[:n_shap])
            out[f"shap_sla2p_{threads}"] = (time.perf_counter() - start) * 1000 / n_shap
    torch.set_num_threads(1)
    out.update(shap_rows=n_shap, nsamples=explainers.nsamples, load=os.getloadavg()[0],
               cpus=os.cpu_count())
    return out


# ------------------------------------------------------------------ report
def _mean_table(frame, value="precision", methods=None):
    """Method x (k=1, k=2, k=3, mean) of the per-setting means, one table per kind."""
    import pandas as pd

    tables = {}
    for kind in KINDS:
        sub = frame[(frame.kind == kind) & frame[value].notna()]
        if methods is not None:
            sub = sub[sub.method.isin(methods)]
        if sub.empty:
            continue
        table = sub.pivot_table(index="method", columns="k", values=value, aggfunc="mean")
        table.columns = [f"k={k}" for k in table.columns]
        table["mean"] = sub.groupby("method")[value].mean()
        # As text, so that the table's float format does not give it decimals.
        table["settings"] = sub.groupby("method").size().astype(int).astype(str)
        order = [m for m in METHODS if m in table.index]
        tables[kind] = table.loc[order]
    return tables, pd


def _labelled(table):
    out = table.copy()
    out.index = [METHODS[m][0] for m in out.index]
    out.index.name = "method"
    return out


def targets(frame, speed_result):
    """Plain sentences: each target of the issue, met or missed, with its numbers."""
    lines = []
    ctx = frame[frame.kind == "contextual"]
    if not ctx.empty:
        own = ctx[ctx.method == "sla2p_explain"]
        for method in METHODS:
            if method == "sla2p_explain" or method in ("ig_mean", "ig_train"):
                continue
            if method in SUBSET_METHODS:  # compare on the same rows
                col = "precision_shap_rows"
                mine, theirs = own[col].mean(), ctx[ctx.method == method][col].mean()
                n_rows = int(ctx[ctx.method == method].rows.iloc[0])
                where = f"on the {n_rows} first outliers of each setting"
            else:
                mine, theirs = own.precision.mean(), ctx[ctx.method == method].precision.mean()
                where = "on all outliers"
            verdict = "met" if mine > theirs else "MISSED"
            lines.append(f"- Contextual, SLA2P explain above {METHODS[method][0]} ({where}): "
                         f"{mine:.3f} vs {theirs:.3f}: **{verdict}**.")
    ext = frame[frame.kind == "extreme"]
    if not ext.empty:
        means = {m: ext[ext.method == m].precision.mean() for m in METHODS
                 if m not in SUBSET_METHODS}
        shap_means = {m: ext[ext.method == m].precision_shap_rows.mean()
                      for m in ("shap_sla2p", "shap_iforest")}
        own_shap = ext[ext.method == "sla2p_explain"].precision_shap_rows.mean()
        best = max((m for m in means if m != "sla2p_explain"), key=means.get)
        ratio = means["sla2p_explain"] / means[best]
        lines.append(f"- Extreme values, SLA2P explain at least 0.9 of the best other method "
                     f"({METHODS[best][0]}, all outliers): {means['sla2p_explain']:.3f} / "
                     f"{means[best]:.3f} = {ratio:.3f}: **{'met' if ratio >= 0.9 else 'MISSED'}**.")
        for m, value in shap_means.items():
            r = own_shap / value
            lines.append(f"- Extreme values, against {METHODS[m][0]} (same rows): "
                         f"{own_shap:.3f} / {value:.3f} = {r:.3f}: "
                         f"**{'met' if r >= 0.9 else 'MISSED'}**.")
    if speed_result:
        s = speed_result
        one, two = s["sla2p_explain_1"], s["sla2p_explain_2"]
        best = min(one, two)
        lines.append(f"- Speed, {s['rows']} rows x {s['features']} features in under 5 s per "
                     f"1,000 rows on 2 CPU cores (wall time, the better of 1 thread, "
                     f"{one:.2f} s, and 2 threads, {two:.2f} s; load average "
                     f"{s['load']:.1f} on this shared machine): "
                     f"**{'met' if best < 5 else 'MISSED'}**.")
        cpu = s["sla2p_explain_1_cpu"]
        lines.append(f"- Speed by CPU time, which the other jobs on a shared machine do not "
                     f"inflate: {cpu:.2f} s per 1,000 rows on one thread, so at most that "
                     f"on 2 cores of its own: **{'met' if cpu < 5 else 'MISSED'}**.")
        ratios = [s[f"shap_sla2p_{t}"] / s[f"sla2p_explain_{t}"] for t in (1, 2)]
        lines.append(f"- Speed, at least 20 x faster than KernelExplainer on SLA2P: "
                     f"{ratios[0]:.0f} x on 1 thread, {ratios[1]:.0f} x on 2: "
                     f"**{'met' if min(ratios) >= 20 else 'MISSED'}**.")
    return lines


def report(out):
    """Write ``summary.md`` and the plot from the run's files in ``out``.

    ``explain_results.csv`` and ``run.json`` come from the run, ``speed.json`` from
    its speed section or from a later ``--speed-only``.
    """
    import pandas as pd

    out = Path(out)
    frame = pd.read_csv(out / RESULTS_CSV)
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    speed_file = out / "speed.json"
    speed_result = (json.loads(speed_file.read_text(encoding="utf-8"))
                    if speed_file.is_file() else None)
    skipped = [tuple(s) for s in meta["skipped"]]
    main = [m for m in METHODS if METHODS[m][1] == "main"]
    lines = [
        "# Explanations of planted outliers (issue 24)", "",
        f"Command: `{COMMAND}{' --quick' if meta['quick'] else ''}`"
        + ("" if meta["quick"] else f" (`--n-outliers {meta['n_outliers']} --shap-rows "
           f"{meta['shap_rows']} --ig-rows {meta['ig_rows']}`)"), "",
        f"Wall time {meta['wall'] / 60:.1f} min, CPU time {meta['cpu'] / 60:.1f} min "
        f"(one thread); load average at the end {meta['load']:.1f} on {meta['cpus']} "
        "CPUs (a shared machine). "
        "The protocol is the docstring of `benchmarks/explain.py`: outliers with 1 to 3 "
        "planted features in inlier rows of ODDS sets and correlated Gaussians; every "
        "detector fitted on the training inliers with its defaults "
        "(`SLA2P(random_state=seed)`); precision@k is the share of the planted features "
        f"among the k largest attributions. Seeds: {sorted(frame.seed.unique().tolist())}; "
        f"{meta['n_outliers']} outliers per setting; KernelExplainer on the first "
        f"{meta['shap_rows']} of them (background `shap.kmeans(train, {SHAP_BACKGROUND})`, "
        f"`nsamples = max({SHAP_MIN_SAMPLES}, 2 d + 50)`), integrated gradients on the "
        f"first {meta['ig_rows']} ({IG_MEAN_STEPS} Gauss-Legendre steps from the training "
        f"mean; {IG_TRAIN_STEPS} steps from each of {IG_TRAIN_ROWS} training rows, averaged).",
        "", "## Targets", ""]
    lines += targets(frame, speed_result)
    tables, _ = _mean_table(frame, methods=main)
    for kind, table in tables.items():
        seconds = frame[frame.kind == kind].groupby("method").apply(
            lambda g: 1000 * g.seconds.sum() / g.rows.sum(), include_groups=False)
        table = table.assign(**{"s per 1,000 rows": seconds.reindex(table.index)})
        lines += ["", f"## {kind.capitalize()} outliers: mean precision@k "
                  "(each method on its rows)", "",
                  _labelled(table).to_markdown(floatfmt=".3f")]
    shap_tables, _ = _mean_table(frame, "precision_shap_rows", methods=main)
    lines += ["", "## The same, on the outliers KernelExplainer explained (paired)", "",
              "Every method on the first outliers of each setting only, the rows "
              "KernelExplainer explained."]
    for kind, table in shap_tables.items():
        lines += ["", f"### {kind.capitalize()}", "", _labelled(table).to_markdown(floatfmt=".3f")]
    lines += ["", "## Per data set (mean over k and seeds, all outliers; KernelExplainer "
              "on its rows)", ""]
    for kind in KINDS:
        sub = frame[(frame.kind == kind) & frame.method.isin(main)]
        if sub.empty:
            continue
        table = sub.pivot_table(index="method", columns="dataset", values="precision",
                                aggfunc="mean")
        table = table.reindex(index=[m for m in main if m in table.index],
                              columns=[c for c in dict.fromkeys(sub.dataset) if c in table.columns])
        lines += [f"### {kind.capitalize()}", "", _labelled(table).to_markdown(floatfmt=".2f"), ""]
    cand = [m for m in ("sla2p_explain", "sla2p_gradient", "ig_mean", "ig_train")]
    ig_tables, _ = _mean_table(frame, "precision_ig_rows", methods=cand)
    lines += ["## Choosing SLA2P's attribution method (paired, on the rows integrated "
              "gradients explained)", ""]
    for kind, table in ig_tables.items():
        seconds = frame[frame.kind == kind].groupby("method").apply(
            lambda g: 1000 * g.seconds.sum() / g.rows.sum(), include_groups=False)
        table = table.assign(**{"s per 1,000 rows": seconds.reindex(table.index)})
        lines += [f"### {kind.capitalize()}", "", _labelled(table).to_markdown(floatfmt=".3f"), ""]
    if "ig_completeness_gap" in frame:
        ig = frame[frame.method.isin(["ig_mean", "ig_train"])]
        gaps = ig.groupby("method")[["ig_completeness_gap", "ig_contrast"]].mean()
        lines += ["Completeness of integrated gradients: the mean over rows of "
                  "|sum of the contributions - (score(x) - score(reference))|, beside the "
                  "mean |score(x) - score(reference)| it should equal (score units).", "",
                  "| method | completeness gap | score(x) - score(reference) |",
                  "|:--|--:|--:|"]
        for method, row in gaps.iterrows():
            lines.append(f"| {METHODS[method][0]} | {row.ig_completeness_gap:.3f} | "
                         f"{row.ig_contrast:.3f} |")
        lines.append("")
    if speed_result:
        lines += speed_lines(speed_result)
    if skipped:
        names = sorted({(name, kind, k) for _, name, kind, k in skipped})
        lines += ["## Skipped settings", "",
                  "Too few features predictable from the others (R^2 >= "
                  f"{CONTEXT_MIN_R2}) to plant k contextual values: "
                  + ", ".join(f"{n} ({kind}, k={k})" for n, kind, k in names) + ".", ""]
    (out / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    plot(frame, out / "explain_precision.png")
    return frame


def speed_lines(s):
    """The speed section of the report."""
    lines = [f"## Speed: {s['rows']} rows x {s['features']} features (Gaussian, seed 0)", "",
             f"Measured by `{s['command']}`. Wall seconds per 1,000 rows, the best of 5 "
             "runs, with 1 and 2 torch and BLAS "
             "threads, and the CPU seconds of the 1-thread run, which other jobs on the "
             f"machine do not inflate (load average {s['load']:.1f} on {s['cpus']} CPUs when "
             f"measured). KernelExplainer timed once on {s['shap_rows']} rows (nsamples "
             f"{s['nsamples']}) and scaled.", "",
             "| method | 1 thread | 2 threads | CPU, 1 thread |", "|:--|--:|--:|--:|"]
    for method in ("sla2p_explain", "sla2p_gradient", "shap_sla2p"):
        cpu = s.get(method + "_1_cpu")
        lines.append(f"| {METHODS[method][0]} | {s[method + '_1']:.2f} | "
                     f"{s[method + '_2']:.2f} | {'' if cpu is None else f'{cpu:.2f}'} |")
    return lines + [""]


def plot(frame, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = [m for m in METHODS if m in set(frame.method)]
    fig, axes = plt.subplots(1, len(KINDS), figsize=(14, 4.8), sharey=True)
    width = 0.8 / len(KS)
    for ax, kind in zip(np.atleast_1d(axes), KINDS):
        sub = frame[frame.kind == kind]
        for i, k in enumerate(KS):
            values = sub[sub.k == k].groupby("method").precision
            mean = values.mean().reindex(methods)
            err = (values.std() / np.sqrt(values.count())).reindex(methods)
            ax.bar(np.arange(len(methods)) + (i - 1) * width, mean, width, yerr=err,
                   capsize=2, label=f"k = {k} planted feature{'s' if k > 1 else ''}")
        ax.set_xticks(np.arange(len(methods)))
        ax.set_xticklabels([METHODS[m][0] for m in methods], rotation=35, ha="right",
                           fontsize=8)
        ax.set_title(f"{kind} outliers")
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("precision@k (share of planted features found)")
    np.atleast_1d(axes)[-1].legend(fontsize=8, loc="upper right")
    fig.suptitle("Which features made the row abnormal? Mean over data sets and seeds "
                 "(bars: standard error over settings)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 2 data sets, 1 seed, few rows (about a minute)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output folder (default {DEFAULT_OUT.relative_to(REPO_ROOT)})")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder with odds/ (default $PYOD_SLA2P_DATA or ../shared/datasets)")
    parser.add_argument("--n-outliers", type=int, default=None,
                        help="outliers per setting (default 100; --quick 20)")
    parser.add_argument("--shap-rows", type=int, default=None,
                        help="outliers per setting given to KernelExplainer (default 4; --quick 2)")
    parser.add_argument("--ig-rows", type=int, default=None,
                        help="outliers per setting given to integrated gradients "
                             "(default 25; --quick 5)")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed section")
    parser.add_argument("--speed-only", action="store_true",
                        help="measure only the speed (OUT/speed.json) and rewrite "
                             "OUT/summary.md with it")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite OUT/summary.md and the plot from OUT's files")
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir or default_data_dir()
    args.n_outliers = args.n_outliers or (20 if args.quick else 100)
    args.shap_rows = args.shap_rows or (2 if args.quick else 4)
    args.ig_rows = args.ig_rows or (5 if args.quick else 25)

    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=FutureWarning)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        report(out)
        print((out / "summary.md").read_text())
        return 0
    if args.speed_only:
        result = speed(args)
        result["command"] = f"{COMMAND} --speed-only" + (" --quick" if args.quick else "")
        (out / "speed.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
        print("\n".join(speed_lines(result)))
        if (out / RESULTS_CSV).is_file() and (out / "run.json").is_file():
            report(out)  # the targets and the speed section of summary.md
        return 0
    start, cpu_start = time.perf_counter(), time.process_time()
    with threadpool_limits(limits=1):
        records, skipped = run(args)
    import pandas as pd

    pd.DataFrame.from_records(records).to_csv(out / RESULTS_CSV, index=False,
                                              float_format="%.6g")
    if not args.no_speed:
        result = speed(args)
        result["command"] = f"{COMMAND}" + (" --quick" if args.quick else "")
        (out / "speed.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    meta = {"quick": args.quick, "n_outliers": args.n_outliers, "shap_rows": args.shap_rows,
            "ig_rows": args.ig_rows, "wall": time.perf_counter() - start,
            "cpu": time.process_time() - cpu_start, "load": os.getloadavg()[0],
            "cpus": os.cpu_count(), "skipped": [list(k) for k in skipped]}
    (out / "run.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    frame = report(out)
    print((out / "summary.md").read_text())
    print(f"{len(frame)} results in {meta['wall'] / 60:.1f} min -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
