# %% [markdown]
# # Quick start: SLA²P in a PyOD workflow
#
# `SLA2P` is a PyOD `BaseDetector`, so it fits into the loops, thresholds and
# score combinations that PyOD users already write. This notebook shows that on
# two datasets:
#
# 1. **Data**: a synthetic set from PyOD's `generate_data` and one ODDS set (`cardio`).
# 2. **Same loop, six detectors**: SLA2P beside PyOD's LOF, ECOD, IForest,
#    DeepSVDD and KNN, with PyOD's `evaluate_print` and a results table.
# 3. **Thresholds**: labels from `contamination` and from a PyThresh thresholder object.
# 4. **Score combination** with `combo` (average, maximum, AOM, MOA) after standardising.
# 5. **A 2-D picture** of each detector's decision scores.
#
# **Modes.** The outputs saved in this notebook come from the *full* mode
# (`python notebooks/execute.py`). Setting the environment variable
# `SLA2P_NOTEBOOK_FAST=1` switches to a *fast* mode (smaller data, fewer
# training epochs) that the test suite runs to check that every cell still works;
# its numbers are not meant to be read. Open it from a checkout, with the project
# installed (`pip install -e ".[notebooks]"`) and the ODDS files in `../shared/datasets`
# or in the directory named by `PYOD_SLA2P_DATA`.

# %% tags=["parameters"]
import os

# Fast mode (tests): SLA2P_NOTEBOOK_FAST=1. Full mode produced the saved outputs.
FAST = os.environ.get("SLA2P_NOTEBOOK_FAST", "0").strip().lower() not in ("", "0", "false", "no")

SEED = 0
ODDS_NAME = "cardio"
N_TRAIN, N_TEST, N_FEATURES = (300, 150, 10) if FAST else (1000, 500, 10)
ODDS_MAX_ROWS = 600 if FAST else None      # fast mode keeps a stratified subsample
DEEPSVDD_EPOCHS = 5 if FAST else 50
GRID_STEPS = 40 if FAST else 150           # resolution of the 2-D score maps
print(f"mode: {'FAST (for tests; numbers not meaningful)' if FAST else 'FULL'}")

# %%
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split

from pyod.models.deep_svdd import DeepSVDD
from pyod.models.ecod import ECOD
from pyod.models.iforest import IForest
from pyod.models.knn import KNN
from pyod.models.lof import LOF
from pyod.utils.data import evaluate_print, generate_data
from pyod.utils.utility import precision_n_scores, standardizer

from notebook_paths import REPO_ROOT, data_dir  # notebooks/notebook_paths.py
from pyod_sla2p import SLA2P
from pyod_sla2p.datasets import load_dataset

pd.set_option("display.precision", 3)
plt.rcParams.update({"figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3})
warnings.filterwarnings("ignore", category=FutureWarning)


DATA_DIR = data_dir()
print(f"ODDS data: {os.path.relpath(DATA_DIR, REPO_ROOT)} (relative to the repository)\n"
      f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s)")

# %% [markdown]
# ## 1. Data
#
# Both datasets are split the way PyOD's own benchmark does it: fit on a training
# part, score a held-out test part. `generate_data` already returns a split; the
# ODDS set is split 60/40 (stratified) and z-scored with the training part's
# statistics (`pyod.utils.utility.standardizer`).

# %%
X_train_syn, X_test_syn, y_train_syn, y_test_syn = generate_data(
    n_train=N_TRAIN, n_test=N_TEST, n_features=N_FEATURES, contamination=0.1,
    random_state=SEED)

odds = load_dataset(ODDS_NAME, data_dir=DATA_DIR)
X_odds, y_odds = odds.X, odds.y
if ODDS_MAX_ROWS is not None and len(y_odds) > ODDS_MAX_ROWS:
    X_odds, _, y_odds, _ = train_test_split(X_odds, y_odds, train_size=ODDS_MAX_ROWS,
                                            stratify=y_odds, random_state=SEED)
X_train_odds, X_test_odds, y_train_odds, y_test_odds = train_test_split(
    X_odds, y_odds, test_size=0.4, stratify=y_odds, random_state=SEED)
X_train_odds, X_test_odds = standardizer(X_train_odds, X_test_odds)

datasets = {
    "synthetic": (X_train_syn, X_test_syn, y_train_syn, y_test_syn),
    ODDS_NAME: (X_train_odds, X_test_odds, y_train_odds, y_test_odds),
}
pd.DataFrame(
    [{"dataset": name, "train rows": len(ytr), "test rows": len(yte), "features": Xtr.shape[1],
      "outliers in test": int(yte.sum()), "outlier fraction (%)": 100 * yte.mean()}
     for name, (Xtr, Xte, ytr, yte) in datasets.items()]
).set_index("dataset")


# %% [markdown]
# ## 2. SLA2P next to PyOD's detectors, in one loop
#
# Every detector gets the same `fit` / `decision_function` calls; higher scores mean
# more abnormal for all of them. DeepSVDD needs the feature count in its constructor
# (PyOD ≥ 2); SLA2P, IForest and DeepSVDD get the same `random_state`.
# `evaluate_print` is PyOD's one-line report (ROC-AUC and precision at rank *n*,
# *n* = number of true outliers).

# %%
def make_detectors(n_features, seed=SEED):
    """A fresh set of detectors with PyOD's defaults (SLA2P: this package's defaults)."""
    return {
        "SLA2P": SLA2P(random_state=seed),
        "LOF": LOF(),
        "ECOD": ECOD(),
        "IForest": IForest(random_state=seed),
        "DeepSVDD": DeepSVDD(n_features=n_features, epochs=DEEPSVDD_EPOCHS, verbose=0,
                             random_state=seed),
        "KNN": KNN(),
    }


fitted, test_scores, rows = {}, {}, []
for data_name, (X_tr, X_te, y_tr, y_te) in datasets.items():
    print(f"--- {data_name}: {X_tr.shape[0]} training rows, {X_tr.shape[1]} features")
    for det_name, clf in make_detectors(X_tr.shape[1]).items():
        t0 = time.perf_counter()
        clf.fit(X_tr)
        t1 = time.perf_counter()
        scores = clf.decision_function(X_te)
        t2 = time.perf_counter()
        evaluate_print(f"{data_name:>10} | {det_name:<8}", y_te, scores)
        fitted[data_name, det_name], test_scores[data_name, det_name] = clf, scores
        rows.append({"dataset": data_name, "detector": det_name,
                     "ROC-AUC": roc_auc_score(y_te, scores),
                     "average precision": average_precision_score(y_te, scores),
                     "precision@n": precision_n_scores(y_te, scores),
                     "fit (s)": t1 - t0, "score (s)": t2 - t1})
results = pd.DataFrame(rows)

# %% [markdown]
# The same numbers as a table (test part; rows: detectors, columns: datasets).
# Times are wall-clock seconds on this machine's CPU and include no data loading.

# %%
table = results.pivot(index="detector", columns="dataset",
                      values=["ROC-AUC", "average precision", "precision@n", "fit (s)"])
table = table.reindex(index=list(make_detectors(2))).reindex(columns=list(datasets), level=1)
table.style.format("{:.3f}").highlight_max(
    subset=[c for c in table.columns if c[0] != "fit (s)"], axis=0, props="font-weight: bold")

# %% [markdown]
# What SLA2P resolved its `"auto"` parameters to on the ODDS set (`clf.params_`),
# and how its training stopped (`clf.views_[i].training_log`; the
# notebook *How SLA²P works* explains these):

# %%
sla2p = fitted[ODDS_NAME, "SLA2P"]
print({k: sla2p.params_[k] for k in ("n_projections", "projection_dim", "acc_threshold",
                                     "epsilon", "views", "score_function")})
for view in sla2p.views_:
    log = view.training_log
    print(f"view {view.name!r}: {log.n_batches} batches, {log.n_epochs} epoch(s), "
          f"stopped by: {log.stop_reason}")

# %% [markdown]
# ## 3. From scores to labels: `contamination` and a PyThresh thresholder
#
# PyOD turns scores into 0/1 labels with a threshold set in `fit`: by default the
# `(1 - contamination)` quantile of the training scores (`threshold_`, `labels_`,
# `predict`). Instead of a fraction, `contamination` may be a thresholder object
# from [PyThresh](https://github.com/KulikDM/pythresh) (`fit(scores)`, `labels_`,
# `thresh_`), which picks the threshold from the score distribution itself. SLA2P
# accepts both. Below: the ODDS set, SLA2P with three fixed fractions and two
# PyThresh methods (IQR: the Tukey fence; KARCH: a Riemannian-mean threshold).
# Precision, recall and F1 are for the test part's labels from `predict`.
#
# A PyThresh object works on min–max normalised scores, so with one `threshold_` is
# on that [0, 1] scale, not on the detector's score scale; the column "lowest
# flagged score" gives the border in raw scores for every method.

# %%
from pythresh.thresholds.iqr import IQR
from pythresh.thresholds.karch import KARCH



def lowest_flagged(clf):
    """The smallest training score labelled as an outlier (NaN if none is)."""
    flagged = clf.decision_scores_[clf.labels_ == 1]
    return flagged.min() if flagged.size else np.nan


X_tr, X_te, y_tr, y_te = datasets[ODDS_NAME]
thresholders = {"contamination=0.05": 0.05, "contamination=0.1": 0.1,
                "contamination=0.2": 0.2, "PyThresh IQR()": IQR(), "PyThresh KARCH()": KARCH()}
rows, thresholded = [], {}
for label, contamination in thresholders.items():
    clf = SLA2P(contamination=contamination, random_state=SEED).fit(X_tr)
    pred = clf.predict(X_te)
    thresholded[label] = clf
    rows.append({"threshold from": label, "threshold_": clf.threshold_,
                 "lowest flagged score": lowest_flagged(clf),
                 "flagged train (%)": 100 * clf.labels_.mean(), "flagged test (%)": 100 * pred.mean(),
                 "precision": precision_score(y_te, pred, zero_division=0),
                 "recall": recall_score(y_te, pred), "F1": f1_score(y_te, pred)})
print(f"true outlier fraction of the test part: {100 * y_te.mean():.1f} %")
pd.DataFrame(rows).set_index("threshold from")

# %%
train_scores = thresholded["contamination=0.1"].decision_scores_
fig, ax = plt.subplots(figsize=(11, 3.8))
bins = np.histogram_bin_edges(train_scores, bins=50)
ax.hist(train_scores[y_tr == 0], bins=bins, alpha=0.6, label="inliers (training part)")
ax.hist(train_scores[y_tr == 1], bins=bins, alpha=0.8, label="outliers (training part)")
for (label, clf), color in zip(thresholded.items(), plt.cm.tab10(np.arange(2, 7))):
    ax.axvline(lowest_flagged(clf), color=color, ls="--", lw=1.5, label=f"lowest flagged score: {label}")
ax.set_yscale("log")
ax.set_xlabel("SLA2P decision score (dimensionless; higher = more abnormal)")
ax.set_ylabel("number of training rows (log scale)")
ax.set_title(f"{ODDS_NAME}: SLA2P training scores and where each threshold cuts")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Combining SLA2P with other detectors (`combo`)
#
# Scores of different detectors live on different scales, so they are standardised
# first: `standardizer(train_scores, test_scores)` centres and scales every
# detector's test scores by the mean and standard deviation of its *training*
# scores. Then `combo.models.score_comb` combines the columns: `average`,
# `maximization`, and the bucket methods AOM (average of the maxima of buckets of
# detectors) and MOA (maximum of the bucket averages), here with 3 buckets of 2
# detectors (static buckets need the detector count to be a multiple of the bucket
# count). Rows "without SLA2P" show what SLA2P adds to the ensemble.
#
# **A recipe: SLA2P with one partner.** The average of the standardised scores of
# SLA2P and KNN (embeddings) or SLA2P and IForest (tabular data) beat SLA2P alone
# on the development suite of issue 15 (tabular, image and text sets; the
# README's paragraph "Recipe: SLA2P with KNN" gives the numbers and the command). The rows
# "recipe: SLA2P + KNN" and "recipe: SLA2P + IForest" below are that pair; the
# benchmark's `sla2p+knn` and `sla2p+iforest` detectors
# (`benchmarks/ensemble.py`) are the same average as one PyOD detector. On a
# single data set a pair can still lose to one of its members: compare the two
# recipe rows with the "single" rows.

# %%
from combo.models.score_comb import aom, average, maximization, moa

rows = []
for data_name, (X_tr, X_te, y_tr, y_te) in datasets.items():
    names = list(make_detectors(2))
    train_mat = np.column_stack([fitted[data_name, d].decision_scores_ for d in names])
    test_mat = np.column_stack([test_scores[data_name, d] for d in names])
    train_std, test_std = standardizer(train_mat, test_mat)
    others = [i for i, d in enumerate(names) if d != "SLA2P"]
    combos = {
        "average (all 6)": average(test_std),
        "maximization (all 6)": maximization(test_std),
        "AOM (all 6, 3 buckets)": aom(test_std, n_buckets=3, random_state=SEED),
        "MOA (all 6, 3 buckets)": moa(test_std, n_buckets=3, random_state=SEED),
        "recipe: SLA2P + KNN": average(test_std[:, [names.index("SLA2P"), names.index("KNN")]]),
        "recipe: SLA2P + IForest": average(
            test_std[:, [names.index("SLA2P"), names.index("IForest")]]),
        "average (without SLA2P)": average(test_std[:, others]),
        "maximization (without SLA2P)": maximization(test_std[:, others]),
    }
    for d in names:
        combos[f"single: {d}"] = test_scores[data_name, d]
    for label, s in combos.items():
        rows.append({"scores": label, "dataset": data_name,
                     "ROC-AUC": roc_auc_score(y_te, s), "precision@n": precision_n_scores(y_te, s)})
combined = pd.DataFrame(rows).pivot(index="scores", columns="dataset", values=["ROC-AUC", "precision@n"])
combined = combined.reindex(columns=list(datasets), level=1).reindex(index=list(combos))
combined.style.format("{:.3f}").highlight_max(axis=0, props="font-weight: bold")

# %% [markdown]
# ## 5. A 2-D picture of the decision scores
#
# On two features, every detector's `decision_function` can be drawn over the plane.
# The colour is the score's percentile among the detector's own training scores
# (so that detectors with different score scales share one colour bar); the black
# line is the detector's `threshold_` at `contamination=0.1`, i.e. the border of the
# region labelled "outlier". Dots are the training rows.

# %%
X2_train, X2_test, y2_train, y2_test = generate_data(
    n_train=N_TRAIN // 2, n_test=N_TEST, n_features=2, contamination=0.1, random_state=SEED + 1)
lo = np.minimum(X2_train.min(axis=0), X2_test.min(axis=0)) - 1.0
hi = np.maximum(X2_train.max(axis=0), X2_test.max(axis=0)) + 1.0
gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], GRID_STEPS), np.linspace(lo[1], hi[1], GRID_STEPS))
grid = np.column_stack([gx.ravel(), gy.ravel()])

detectors_2d = make_detectors(2)
fig, axes = plt.subplots(2, 3, figsize=(13, 8.2), sharex=True, sharey=True)
for ax, (name, clf) in zip(axes.ravel(), detectors_2d.items()):
    clf.fit(X2_train)
    train_sorted = np.sort(clf.decision_scores_)
    grid_scores = clf.decision_function(grid)
    percentile = 100.0 * np.searchsorted(train_sorted, grid_scores, side="right") / len(train_sorted)
    mesh = ax.contourf(gx, gy, percentile.reshape(gx.shape), levels=np.linspace(0, 100, 11),
                       cmap="viridis")
    ax.contour(gx, gy, grid_scores.reshape(gx.shape), levels=[clf.threshold_], colors="black",
               linewidths=1.5)
    ax.scatter(*X2_train[y2_train == 0].T, s=8, c="white", edgecolors="black", linewidths=0.3,
               label="training inliers")
    ax.scatter(*X2_train[y2_train == 1].T, s=22, c="red", marker="x", label="training outliers")
    auc = roc_auc_score(y2_test, clf.decision_function(X2_test))
    ax.set_title(f"{name} (test ROC-AUC {auc:.3f})")
    ax.grid(False)
for ax in axes[-1]:
    ax.set_xlabel("feature 1 (generate_data units)")
for ax in axes[:, 0]:
    ax.set_ylabel("feature 2 (generate_data units)")
axes[0, 0].legend(loc="lower left", fontsize=8)
fig.colorbar(mesh, ax=axes, shrink=0.8, label="percentile among the training scores (%)")
fig.suptitle("Decision scores on 2-D data from generate_data; black line: threshold_ "
             "at contamination = 0.1")
plt.show()

# %% [markdown]
# ## 6. Which features made the top outliers abnormal? `explain` and `explain_outlier`
#
# `SLA2P.explain(X)` returns one number per row and feature: that feature's
# contribution to the row's outlier score, in the features' own units (through the
# standardisation, both views and their maximum). By default it is the drop of the
# score when the feature is set to its training mean (*occlusion*; exact, checked
# against `decision_function` on every call): positive means the row's value of that
# feature makes it more abnormal. `explain_outlier(ind, X)` draws one row's
# contributions as a bar chart, as PyOD's COPOD and ECOD do, with dashed bands at
# quantiles of each feature's contributions over the rows of `X`, and returns the
# numbers. The docs page *Explaining scores* and `benchmarks/results/explain/` give
# the measurement behind the method.
#
# Below: the `cardio` test rows with the highest SLA2P scores. ODDS files carry no
# feature names, so the features are `x0` ... `x20` (cardio's 21 cardiotocography
# measurements, z-scored above); the colour is the contribution to the score.

# %%
TOP_OUTLIERS = 5 if FAST else 10
sla2p = fitted[ODDS_NAME, "SLA2P"]
X_tr, X_te, y_tr, y_te = datasets[ODDS_NAME]
top = np.argsort(-test_scores[ODDS_NAME, "SLA2P"])[:TOP_OUTLIERS]
t0 = time.perf_counter()
contributions = sla2p.explain(X_te[top])
print(f"explain: {len(top)} rows x {X_te.shape[1]} features in {time.perf_counter() - t0:.2f} s")

labels = [f"test row {i} ({'outlier' if y_te[i] else 'inlier'})" for i in top]
limit = np.abs(contributions).max()
fig, ax = plt.subplots(figsize=(11, 0.45 * len(top) + 1.6))
image = ax.imshow(contributions, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
ax.set_xticks(range(X_te.shape[1]), [f"x{j}" for j in range(X_te.shape[1])])
ax.set_yticks(range(len(top)), labels)
ax.grid(False)
fig.colorbar(image, ax=ax, label="contribution to the score\n(score units)")
ax.set_title(f"{ODDS_NAME}: per-feature contributions of the {len(top)} highest-scoring test rows")
fig.tight_layout()
plt.show()
pd.DataFrame({"label": labels,
              "score": test_scores[ODDS_NAME, "SLA2P"][top],
              "largest contributions": [", ".join(f"x{j} ({c[j]:+.2f})" for j in np.argsort(-c)[:3])
                                        for c in contributions]}).set_index("label")

# %% [markdown]
# The highest-scoring row alone, as `explain_outlier` draws it. It needs the rows
# that `ind` indexes (`X`): SLA2P does not keep its training rows, unlike COPOD and
# ECOD. The returned object holds the numbers (`contributions`, `score`, `label`,
# `cutoff_bands`, `ranking()`).

# %%
result = sla2p.explain_outlier(int(top[0]), X_te)
plt.show()
print(f"row {result.index}: score {result.score:.3f}, labelled "
      f"{'outlier' if result.label else 'inlier'}; largest contributions: "
      + ", ".join(f"{name} {value:+.3f}" for name, value in result.ranking()[:3]))

# %% [markdown]
# ## What to take away
#
# * SLA2P is used exactly like any PyOD detector: `fit`, `decision_function`,
#   `predict`, `threshold_`, PyThresh objects as `contamination`, and `combo`
#   combinations after `standardizer`.
# * `explain` and `explain_outlier` split a row's score over its features, as COPOD's
#   and ECOD's `explain_outlier` do for theirs.
# * Its accuracy relative to the other detectors depends on the data. Two datasets
#   say little; the notebook *The benchmark, read out* compares the detectors over
#   many datasets and seeds, and *How SLA²P works* shows what drives its scores.
