# %% [markdown]
# # How SLA²P works
#
# SLA²P (Wang et al., *Self-supervised Anomaly Detection with Adversarial
# Perturbation*, arXiv:2111.12896) scores a row by how badly a self-supervised
# classifier handles it:
#
# 1. **Views and projections.** Each row is standardised and scaled to unit length
#    (the *direction* view; the *homogeneous* view first appends a constant
#    coordinate so that the length survives), then mapped by `n_projections` fixed
#    random Gaussian matrices of width `projection_dim`.
# 2. **Pseudo-labels.** A small network learns to tell which projection produced a
#    transformed row: projection *m* is class *m*.
# 3. **Accuracy-threshold stop.** Training stops as soon as the running accuracy of
#    the current epoch passes `acc_threshold`: the common (inlier) structure is
#    learned first, the rare rows are not learned yet.
# 4. **Perturbation and score.** Each transformed row is pushed against the
#    classifier (a step `epsilon` along the gradient of its loss), and the score
#    averages, over the projections, how far the classifier's output is from the
#    true projection label (`score_function`: the negative log-probability of the
#    true label, or the paper's Brier distance). `epsilon = 0`, the package's
#    default, is the paper's *SLA* ablation (no perturbation). The research lever
#    `perturbation` (how the step is scaled) lives in the benchmark's
#    `SLA2PVariant`, which this notebook uses for its sweep.
#
# This notebook opens each step on a small 2-D example and on one ODDS set: the
# accuracy curve and where the stop fires, the inlier and outlier scores with and
# without the perturbation, and an ablation sweep of `epsilon`, `n_projections` and
# `acc_threshold` over several seeds. Everything is fitted on all rows and evaluated
# on the same rows (the paper's unsupervised, *transductive* setting; scores are
# `decision_scores_`).
#
# **Modes.** The saved outputs come from the *full* mode (`python notebooks/execute.py`,
# a few minutes on one CPU core). `SLA2P_NOTEBOOK_FAST=1` (what the tests use)
# shrinks the data, the grids and the seeds so the notebook runs in well under a
# minute; its numbers are not meant to be read.

# %% tags=["parameters"]
import os

FAST = os.environ.get("SLA2P_NOTEBOOK_FAST", "0").strip().lower() not in ("", "0", "false", "no")

ODDS_NAME = "cardio"
ODDS_MAX_ROWS = 400 if FAST else None        # fast mode: a stratified subsample
TOY_ROWS = 200 if FAST else 500
SEEDS = [0, 1] if FAST else [0, 1, 2]
EPS_RELATIVE = [0.0, 0.03, 0.3] if FAST else [0.0, 0.01, 0.03, 0.1, 0.3]
EPS_GRADIENT = [0.0] if FAST else [0.0, 1.0, 30.0]  # the paper preset's ε is added below
N_PROJECTIONS = [8, 32] if FAST else [4, 8, 16, 32, 64, 128, 256]
ACC_THRESHOLDS = [0.3, 0.6] if FAST else [0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 0.95]
SWEEP_EPOCH_CAP = 5 if FAST else 20            # bounds training if a threshold is never reached
NO_STOP_EPOCHS = 1 if FAST else 3              # the "trained on" comparison of section 2
print(f"mode: {'FAST (for tests; numbers not meaningful)' if FAST else 'FULL'}")

# %%
import time
import warnings

warnings.filterwarnings("ignore", message="IProgress not found")  # tqdm without ipywidgets

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from pyod.utils.data import generate_data

from notebook_paths import REPO_ROOT, data_dir  # notebooks/notebook_paths.py
from pyod_sla2p import SLA2P
from pyod_sla2p.datasets import load_dataset
from pyod_sla2p.defaults import resolve_values

# The research levers (here the perturbation's form) live beside the benchmark,
# which is imported from the repository root.
os.chdir(REPO_ROOT)
from benchmarks.variants import VARIANT_DEFAULTS, SLA2PVariant  # noqa: E402

pd.set_option("display.precision", 3)
plt.rcParams.update({"figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3})

DATA_DIR = data_dir()
print(f"ODDS data: {os.path.relpath(DATA_DIR, REPO_ROOT)} (relative to the repository)\n"
      f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s)")

# %% [markdown]
# ## The two datasets
#
# * **toy 2-D**: PyOD's `generate_data` with two features: a Gaussian blob of
#   inliers and uniformly scattered outliers (10 %).
# * **ODDS**: `cardio` (cardiotocography; pathologic cases are the outliers).

# %%
X_toy, y_toy = generate_data(n_train=TOY_ROWS, n_features=2, contamination=0.1,
                             train_only=True, random_state=0)
odds = load_dataset(ODDS_NAME, data_dir=DATA_DIR)
X_odds, y_odds = odds.X, odds.y
if ODDS_MAX_ROWS is not None and len(y_odds) > ODDS_MAX_ROWS:
    X_odds, _, y_odds, _ = train_test_split(X_odds, y_odds, train_size=ODDS_MAX_ROWS,
                                            stratify=y_odds, random_state=0)
DATA = {"toy 2-D": (X_toy, y_toy), ODDS_NAME: (X_odds, y_odds)}
pd.DataFrame([{"dataset": k, "rows": len(y), "features": X.shape[1], "outliers": int(y.sum()),
               "outlier fraction (%)": 100 * y.mean()} for k, (X, y) in DATA.items()]).set_index("dataset")

# %% [markdown]
# ## 1. What `fit` builds
#
# One fit per dataset with the package's defaults (`random_state=0`). `clf.params_`
# holds the resolved `"auto"` parameters (fixed values, the same for any data);
# for comparison, the paper preset (`preset="paper"`) resolved for the same rows
# (it switches to its large-data setting above 2000 rows).
# `clf.views_` holds one fitted pipeline per view,
# each with its projection bank, its classifier, its training log and the mean and
# standard deviation of its training scores (used to standardise the views' scores
# before they are combined).

# %%
default_fits = {name: SLA2P(random_state=0).fit(X) for name, (X, y) in DATA.items()}
# params_ holds what SLA2P runs; the research levers (the perturbation's form) are
# at the values SLA2P fixes, which SLA2PVariant's defaults state.
PARAMS = {name: {**VARIANT_DEFAULTS, **clf.params_}
          for name, clf in default_fits.items()}                                 # package defaults
PAPER = {name: resolve_values(SLA2P(preset="paper").get_params(deep=False), len(X),
                              defaults=VARIANT_DEFAULTS)
         for name, (X, y) in DATA.items()}                                       # paper preset
KEYS = ("n_projections", "projection_dim", "acc_threshold", "epsilon", "perturbation",
        "score_function", "views", "standardize")
display(pd.DataFrame({(name, which): {k: str(src[name][k]) for k in KEYS}
                      for name in DATA for which, src in (("default", PARAMS), ("paper", PAPER))}))
rows = []
for name, clf in default_fits.items():
    params = PARAMS[name]
    for view in clf.views_:
        log = view.training_log
        rows.append({"dataset": name, "view": view.name,
                     "projections (M × r)": f"{params['n_projections']} × {params['projection_dim']}",
                     "network parameters": sum(p.numel() for p in view.network.parameters()),
                     "training batches": log.n_batches, "epochs": log.n_epochs,
                     "training stopped by": log.stop_reason,
                     "final running accuracy": log.running_accuracy[-1],
                     "score mean": view.score_mean, "score std": view.score_std})
for name, clf in default_fits.items():
    print(f"{name}: ROC-AUC of decision_scores_ = {roc_auc_score(DATA[name][1], clf.decision_scores_):.3f}")
pd.DataFrame(rows).set_index(["dataset", "view"])

# %% [markdown]
# ## 2. Training accuracy and the accuracy-threshold stop
#
# The classifier sees mini-batches of 128 (row, projection) pairs. The solid line is
# the running accuracy of the current epoch after each batch (what the stop tests),
# the dots the accuracy of each batch alone. Training stops at the first batch whose
# running accuracy passes `acc_threshold` (dashed line); chance level is 1/M.
#
# For contrast, the grey line is the same model (same seed) **trained on** to 99 %
# running accuracy (`acc_threshold=0.99`, at most `NO_STOP_EPOCHS` epochs; the running
# accuracy restarts at every epoch). The ROC-AUC of both is in the legend: the stop
# is part of the method — a classifier that has also learned the rare rows no longer
# tells them apart.

# %%
no_stop_fits = {name: SLA2P(acc_threshold=0.99, epoch_num=NO_STOP_EPOCHS, random_state=0).fit(X)
                for name, (X, y) in DATA.items()}
n_views = max(len(clf.views_) for clf in default_fits.values())
fig, axes = plt.subplots(len(DATA), n_views, figsize=(6.5 * n_views, 3.8 * len(DATA)), squeeze=False)
for row, (name, clf) in enumerate(default_fits.items()):
    y = DATA[name][1]
    auc_stop = roc_auc_score(y, clf.decision_scores_)
    auc_on = roc_auc_score(y, no_stop_fits[name].decision_scores_)
    for col, (view, view_on) in enumerate(zip(clf.views_, no_stop_fits[name].views_)):
        ax = axes[row, col]
        log, log_on = view.training_log, view_on.training_log
        acc_on = 100 * np.asarray(log_on.running_accuracy)
        ax.plot(np.arange(1, len(acc_on) + 1), acc_on, color="0.6", lw=1,
                label=f"trained on (acc_threshold=0.99; ROC-AUC {auc_on:.3f})")
        batches = np.arange(1, log.n_batches + 1)
        ax.plot(batches, 100 * np.asarray(log.batch_accuracy), ".", ms=3, color="tab:blue", alpha=0.35,
                label="accuracy of each batch")
        ax.plot(batches, 100 * np.asarray(log.running_accuracy), color="tab:blue", lw=2,
                label=f"running accuracy, with the stop (ROC-AUC {auc_stop:.3f})")
        ax.axhline(100 * clf.params_["acc_threshold"], color="tab:red", ls="--", lw=1,
                   label=f"acc_threshold = {clf.params_['acc_threshold']}")
        ax.axhline(100 / clf.params_["n_projections"], color="black", ls=":", lw=1,
                   label=f"chance = 1/{clf.params_['n_projections']}")
        if log.stopped_by_threshold:
            ax.axvline(log.n_batches, color="tab:red", lw=1)
            ax.annotate(f"stop: batch {log.n_batches}", (log.n_batches, 100 * log.running_accuracy[-1]),
                        textcoords="offset points", xytext=(6, -14), color="tab:red", fontsize=9)
        ax.set_xscale("log")
        ax.set_ylim(0, 102)
        ax.set_title(f"{name}: {view.name} view")
        ax.set_xlabel("training batch (128 (row, projection) pairs each; log scale)")
        ax.set_ylabel("accuracy (%)")
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes[row, len(clf.views_):]:
        ax.set_visible(False)
fig.suptitle("Pseudo-label accuracy during training, and where the accuracy-threshold stop fires")
fig.tight_layout()
plt.show()


# %% [markdown]
# ## 3. Scores of inliers and outliers, without and with the perturbation
#
# Training does not depend on `epsilon`: with the same `random_state`, the fits
# below train identical classifiers (checked in the cell) and differ only in how the
# rows are scored. `epsilon = 0` is SLA (no perturbation). The second setting is the
# package's default ε when it is non-zero, otherwise the paper preset's perturbation
# (`perturbation="gradient"`, ε = 1000/128 per row, i.e. the authors' 1000 on a
# batch-mean gradient). The cell prints which.

# %%
def perturbed_setting(name):
    """The default ε if it is non-zero, else the paper preset's; with a label."""
    src, which = (PARAMS, "the default") if PARAMS[name]["epsilon"] > 0 else (PAPER, "the paper preset's")
    eps, mode = src[name]["epsilon"], src[name]["perturbation"]
    return f"ε = {eps:g}, {mode} steps ({which} ε)", {"epsilon": eps, "perturbation": mode}


score_fits, labels = {}, {}
for name, (X, y) in DATA.items():
    label, setting = perturbed_setting(name)
    labels[name] = ["ε = 0 (SLA)", label]
    print(f"{name}: default ε = {PARAMS[name]['epsilon']:g}; comparing ε = 0 with the {label}")
    for lab, kw in zip(labels[name], ({"epsilon": 0.0}, setting)):
        score_fits[name, lab] = SLA2PVariant(random_state=0, **kw).fit(X)
    a, b = (score_fits[name, lab] for lab in labels[name])
    same = all(va.training_log.loss == vb.training_log.loss for va, vb in zip(a.views_, b.views_))
    print(f"{name}: identical training for both settings: {same}")

fig, axes = plt.subplots(len(DATA), 2, figsize=(12, 3.6 * len(DATA)), squeeze=False)
for row, (name, (X, y)) in enumerate(DATA.items()):
    for col, label in enumerate(labels[name]):
        ax, s = axes[row, col], score_fits[name, label].decision_scores_
        bins = np.histogram_bin_edges(s, bins=40)
        ax.hist(s[y == 0], bins=bins, density=True, alpha=0.6, label=f"inliers ({int((y == 0).sum())})")
        ax.hist(s[y == 1], bins=bins, density=True, alpha=0.7, label=f"outliers ({int(y.sum())})")
        ax.set_title(f"{name}, {label}: ROC-AUC {roc_auc_score(y, s):.3f}", fontsize=10)
        ax.set_xlabel("decision score (dimensionless; higher = more abnormal)")
        ax.set_ylabel("density (1 / score unit)")
        ax.legend(fontsize=8)
fig.suptitle("Score distributions of inliers and outliers, without and with the adversarial perturbation")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Ablation sweep: ε, the number of projections and the accuracy threshold
#
# Each panel changes one parameter and keeps the others at the package's defaults
# (for ε, the perturbation mode is set too). Every setting is fitted with each seed
# in `SEEDS` (the seed draws the projections, the initial weights and the batch
# order): dots are single seeds, the line their mean, the band their range. The
# dashed vertical line marks the package's default value, the dotted one the paper
# preset's for that dataset (table of section 1). Training is capped at `SWEEP_EPOCH_CAP` epochs (a parameter above); the table after the plot says
# whether any fit hit the cap.

# %%
SWEEPS = {
    "epsilon (relative)": ("epsilon", EPS_RELATIVE, {"perturbation": "relative"}),
    "epsilon (gradient)": ("epsilon", EPS_GRADIENT, {"perturbation": "gradient"}),
    "n_projections": ("n_projections", N_PROJECTIONS, {}),
    "acc_threshold": ("acc_threshold", ACC_THRESHOLDS, {}),
}
cache, records = {}, []
start = time.perf_counter()
for name, (X, y) in DATA.items():
    for panel, (param, values, extra) in SWEEPS.items():
        if panel == "epsilon (gradient)":  # add the paper preset's ε to the grid
            values = sorted(set(values) | {PAPER[name]["epsilon"]})
        for value in values:
            kw = {**extra, param: value, "epoch_num": SWEEP_EPOCH_CAP}
            if param == "epsilon" and value == 0:
                kw.pop("perturbation")  # ε = 0: no perturbation, whatever the mode
            for seed in SEEDS:
                key = (name, tuple(sorted(kw.items())), seed)
                if key not in cache:
                    t0 = time.perf_counter()
                    clf = SLA2PVariant(random_state=seed, **kw).fit(X)
                    cache[key] = {"ROC-AUC": roc_auc_score(y, clf.decision_scores_),
                                  "fit (s)": time.perf_counter() - t0,
                                  "hit epoch cap": any(v.training_log.stop_reason == "epoch_cap"
                                                       for v in clf.views_)}
                records.append({"dataset": name, "panel": panel, "value": value, "seed": seed,
                                **cache[key]})
sweep = pd.DataFrame(records)
print(f"{len(cache)} fits in {time.perf_counter() - start:.0f} s")

# %%
from matplotlib.lines import Line2D



def marker_values(p):
    """Where a configuration sits on each panel's x axis (None: not on that panel)."""
    out = {"n_projections": p["n_projections"], "acc_threshold": p["acc_threshold"]}
    for mode in ("relative", "gradient"):
        # ε = 0 is no perturbation at all, so it sits on both ε panels.
        on_panel = p["epsilon"] == 0 or p["perturbation"] == mode
        out[f"epsilon ({mode})"] = p["epsilon"] if on_panel else None
    return out

XLABEL = {"epsilon (relative)": "ε, relative step (fraction of the row's norm; symlog)",
          "epsilon (gradient)": "ε, raw per-row gradient step (symlog)",
          "n_projections": "n_projections M (count, log scale)",
          "acc_threshold": "acc_threshold (running accuracy at the stop)"}
colors = dict(zip(DATA, ["tab:blue", "tab:orange"]))
fig, axes = plt.subplots(len(DATA), len(SWEEPS), figsize=(4.2 * len(SWEEPS), 3.4 * len(DATA)),
                         sharey="row", squeeze=False)
for row, name in enumerate(DATA):
    for ax, panel in zip(axes[row], SWEEPS):
        sub = sweep[(sweep["dataset"] == name) & (sweep["panel"] == panel)]
        agg = sub.groupby("value")["ROC-AUC"].agg(["mean", "min", "max"])
        ax.fill_between(agg.index, agg["min"], agg["max"], color=colors[name], alpha=0.2, lw=0)
        ax.plot(agg.index, agg["mean"], "-o", color=colors[name], ms=4)
        ax.plot(sub["value"], sub["ROC-AUC"], ".", color="black", ms=4, alpha=0.5)
        default_x, paper_x = marker_values(PARAMS[name])[panel], marker_values(PAPER[name])[panel]
        if default_x is not None:
            ax.axvline(default_x, color="black", ls="--", lw=1)
        if paper_x is not None:
            ax.axvline(paper_x, color="tab:red", ls=":", lw=1.5)
        if panel.startswith("epsilon"):
            linthresh = 0.01 if "relative" in panel else 1.0
            ax.set_xscale("symlog", linthresh=linthresh)
            ax.set_xlim(left=-0.2 * linthresh)
        elif panel == "n_projections":
            ax.set_xscale("log", base=2)
        ax.set_title(f"{name}: ROC-AUC vs {panel}", fontsize=10)
        ax.set_xlabel(XLABEL[panel], fontsize=9)
    axes[row, 0].set_ylabel("ROC-AUC (all rows)")
handles = [Line2D([], [], color=c, marker="o", ms=4, label=f"{n}: mean over seeds") for n, c in colors.items()]
handles += [Line2D([], [], color="black", marker=".", ls="", label="one seed"),
            Line2D([], [], color="black", ls="--", label="package default"),
            Line2D([], [], color="tab:red", ls=":", label="paper's value")]
fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=9, frameon=False)
fig.suptitle(f"Ablation sweep: one parameter at a time, {len(SEEDS)} seeds per point "
             "(band: min–max over seeds)")
fig.tight_layout(rect=(0, 0.05, 1, 1))
plt.show()

# %% [markdown]
# The same numbers: mean ± standard deviation of ROC-AUC over the seeds, the mean fit
# time, and whether any seed's training hit the epoch cap instead of the threshold.

# %%
summary = (sweep.groupby(["panel", "value", "dataset"])
           .agg(mean=("ROC-AUC", "mean"), std=("ROC-AUC", "std"), fit_s=("fit (s)", "mean"),
                cap=("hit epoch cap", "any")))
cells = pd.Series([f"{m:.3f} ± {s:.3f}" for m, s in zip(summary["mean"], summary["std"])],
                  index=summary.index)
table = cells.unstack("dataset")[list(DATA)]
table["mean fit (s)"] = summary["fit_s"].groupby(level=["panel", "value"]).mean()
table["hit epoch cap"] = summary["cap"].groupby(level=["panel", "value"]).any()
table = table.reindex(list(SWEEPS), level="panel")  # panels in the plot's order, values ascending
table.index = pd.MultiIndex.from_tuples([(p, f"{v:g}") for p, v in table.index], names=["panel", "value"])
table

# %% [markdown]
# ## Reading the sweep
#
# The numbers above, not this text, are the result; what to look for in them:
#
# * **ε.** A flat curve means the perturbation neither helps nor hurts on that data;
#   the comparison of ε = 0 with the other points is the paper's SLA vs SLA²P
#   ablation. Large steps (the right end of each panel) push every row far enough
#   that inliers and outliers end up equally misclassified, which would show as a drop.
# * **n_projections.** With very few projections the pseudo-task is easy and is
#   learned from a handful of batches; more projections give more classes to tell
#   apart and average the score over more of them, usually with less spread over
#   seeds, at a cost in time roughly proportional to M.
# * **acc_threshold.** A low threshold stops before the classifier has learned
#   much; a high one lets it learn the outliers too (section 2 shows the extreme).
#   The best value sits in between, and where exactly depends on the data.
# * **Seeds.** The band shows how much of a difference between two settings is
#   within one seed's randomness; differences smaller than the band are not evidence.

# %% [markdown]
# ## 5. Explaining a score: a planted contextual outlier
#
# `clf.explain(X)` splits each row's score over its features. By default it is
# *occlusion*: a feature's contribution is how much the row's score drops when that
# feature is set to its training mean (exact: two `decision_function` values). The
# direction view scores the *direction* of the standardised row, so a value that is
# ordinary on its own can still count if it contradicts the features it usually moves
# with: a *contextual* outlier. The per-feature |z|-score, and detectors that score
# each feature on its own (COPOD, ECOD), cannot see that.
#
# The data are the correlated Gaussian rows of the explanation benchmark
# (`benchmarks/explain.py`: a factor model, 20 features, standardised by the training
# part). In each of `N_PLANTED` held-out rows one feature that the others predict well
# (R² ≥ 0.5) is replaced by a value from its own central 90 % that lies at least 3
# residual standard deviations from what the other features predict. SLA2P is fitted
# on the training inliers with its defaults. Which feature does each method rank first?

# %%
from benchmarks.explain import Context, gaussian_inliers, plant, precision_at_k, split  # noqa: E402

N_PLANTED = 40 if FAST else 200
rng = np.random.default_rng(0)
train_rows, pool_rows = split(gaussian_inliers(20, rng), rng)
planted_rows, planted_mask = plant("contextual", 1, N_PLANTED, pool_rows, train_rows,
                                   Context(train_rows), rng)
explained = SLA2P(random_state=0).fit(train_rows)
contributions = explained.explain(planted_rows)
found = {"SLA2P explain": precision_at_k(contributions, planted_mask),
         "|z|-score": precision_at_k(np.abs(planted_rows), planted_mask)}
planted_feature = planted_mask.argmax(axis=1)
rank_of_score = (explained.decision_function(planted_rows)[:, None]
                 > explained.decision_function(pool_rows)[None, :]).mean(axis=1)
print(f"{N_PLANTED} planted rows; their SLA2P scores exceed those of "
      f"{100 * rank_of_score.mean():.0f} % of the clean held-out rows on average")
pd.DataFrame({"planted feature ranked first (%)": {k: 100 * v.mean() for k, v in found.items()},
              "by chance (%)": {k: 100 / planted_rows.shape[1] for k in found}})

# %% [markdown]
# One row, drawn: the first planted row where SLA2P's explanation ranks the planted
# feature first and the |z|-score does not (the cell prints how many such rows there
# are, and the share above is over all planted rows, so the pick is not the whole
# story). If there is none, the first planted row is drawn instead.

# %%
both = np.flatnonzero((found["SLA2P explain"] == 1) & (found["|z|-score"] == 0))
row = int(both[0]) if len(both) else 0
print(f"rows where SLA2P finds the planted feature and |z| does not: {len(both)} of "
      f"{N_PLANTED}; where |z| finds it and SLA2P does not: "
      f"{int(((found['|z|-score'] == 1) & (found['SLA2P explain'] == 0)).sum())}")
j = planted_feature[row]
fig, axes = plt.subplots(1, 2, figsize=(13, 3.6), sharex=True)
panels = [(np.abs(planted_rows[row]), "|z|-score of each feature (training SDs)"),
          (contributions[row], "SLA2P contribution to the score (score units)")]
for ax, (values, title) in zip(axes, panels):
    colours = np.where(np.arange(len(values)) == j, "tab:red", "tab:gray")
    ax.bar(np.arange(len(values)), values, color=colours)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("feature (red: the planted one)")
    ax.set_xticks(range(len(values)))
fig.suptitle(f"Held-out row {row}: feature {j} set to {planted_rows[row, j]:+.2f} "
             "(inside its range; its correlated partners disagree)")
fig.tight_layout()
plt.show()

# %% [markdown]
# The benchmark (`python -m benchmarks.explain`, results in
# `benchmarks/results/explain/summary.md`) repeats this over five ODDS sets and three
# Gaussian sizes, with 1 to 3 planted features of two kinds (contextual values and
# extreme values), against COPOD, ECOD, the |z|-score and SHAP's KernelExplainer.
