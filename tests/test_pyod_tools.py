"""SLA2P in PyOD's own tools: ADEngine by name (pyod_sla2p.pyod_tools) and
EmbeddingOD on raw text with an SLA2P instance.

Nothing here downloads anything: the text encoder is scikit-learn's
HashingVectorizer, and the MiniLM measurement lives in
benchmarks/embeddingod_text.py, outside the tests.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

pytest.importorskip("pyod.utils.ad_engine", reason="needs PyOD >= 3.0 (ADEngine)")

from pyod.utils.ad_engine import ADEngine  # noqa: E402

from pyod_sla2p import SLA2P  # noqa: E402
from pyod_sla2p import pyod_tools  # noqa: E402
from pyod_sla2p.pyod_tools import DETECTOR_NAME, adengine, knowledge_dir, knowledge_entries  # noqa: E402

# Small enough that each SLA2P fit takes a second or two on a shared CPU. Not
# 8 x 8: that bank missed the planted cluster on one of three seeds (ROC-AUC
# 0.585), while 16 x 16 found it on every seed tried, as the defaults do.
SMALL = {"n_projections": 16, "projection_dim": 16}


def _pyod_folder():
    import pyod.utils.knowledge as knowledge
    return os.path.dirname(knowledge.__file__)


def _load(folder, name):
    with open(os.path.join(folder, name), encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def engine():
    return adengine(random_state=0)


@pytest.fixture(scope="module")
def tabular():
    """150 Gaussian rows and 8 planted outliers far from them (the first 8 rows)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(158, 5))
    X[:8] += 6.0
    y = np.r_[np.ones(8, dtype=int), np.zeros(150, dtype=int)]
    return X, y


# ----------------------------------------------------------------- knowledge

def test_importing_the_package_does_not_load_adengine():
    # ADEngine pulls in PyOD's whole agent layer: it must wait until asked for.
    code = ("import sys, pyod_sla2p, pyod_sla2p.pyod_tools; "
            "print('pyod.utils.ad_engine' in sys.modules, 'pyod.utils.knowledge' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_entry_has_every_field_pyods_entries_have():
    ours = knowledge_entries()["algorithms.json"][DETECTOR_NAME]
    theirs = _load(_pyod_folder(), "algorithms.json")
    # Every field that all of PyOD's entries carry, with the same JSON type.
    common = set.intersection(*(set(entry) for entry in theirs.values()))
    assert common <= set(ours), f"missing: {sorted(common - set(ours))}"
    reference = theirs["IForest"]
    for key in common:
        assert type(ours[key]) is type(reference[key]), key
    assert ours["class_path"] == "pyod_sla2p.SLA2P"
    assert ours["status"] == "shipped"
    assert ours["data_types"] == ["tabular"]
    # The paper it cites is in the papers overlay, as PyOD's entries' are in papers.json.
    assert ours["paper"]["id"] in knowledge_entries()["papers.json"]
    # default_params must build a detector, as ADEngine would.
    assert SLA2P(**ours["default_params"]).get_params()["contamination"] == 0.1


def test_knowledge_dir_is_pyods_folder_plus_sla2p():
    folder = knowledge_dir()
    source = _pyod_folder()
    pyod_files = sorted(n for n in os.listdir(source) if n.endswith(".json"))
    assert set(pyod_files) <= set(os.listdir(folder))
    for name in pyod_files:
        merged, original = _load(folder, name), _load(source, name)
        added = knowledge_entries().get(name, {})
        # PyOD's own content untouched, ours added, nothing else.
        assert {k: v for k, v in merged.items() if k not in added} == original, name
        for key, entry in added.items():
            assert merged[key] == entry
    assert DETECTOR_NAME in _load(folder, "algorithms.json")
    assert DETECTOR_NAME not in _load(source, "algorithms.json")
    assert knowledge_dir() == folder  # built once per process


def test_knowledge_dir_to_a_given_path(tmp_path):
    target = tmp_path / "kb" / "nested"
    assert knowledge_dir(target) == str(target)
    assert DETECTOR_NAME in _load(target, "algorithms.json")
    # Usable by ADEngine directly, which is what the path is for.
    assert ADEngine(knowledge_dir=str(target)).explain_detector(DETECTOR_NAME)["full_name"]
    # Rebuilding over an existing folder overwrites its knowledge files.
    (target / "algorithms.json").write_text("{}")
    knowledge_dir(target)
    assert DETECTOR_NAME in _load(target, "algorithms.json")


def test_engine_outlives_its_folder_and_the_folder_is_rebuilt():
    folder = knowledge_dir()
    eng = adengine()
    shutil.rmtree(folder)
    try:
        # Every file was read when the engine was made.
        assert eng.make_plan([DETECTOR_NAME])["detector_name"] == DETECTOR_NAME
        assert eng.get_benchmarks("ADBench")["ADBench"]
        rebuilt = knowledge_dir()
        assert os.path.isfile(os.path.join(rebuilt, "algorithms.json"))
    finally:
        knowledge_dir()  # leave a working folder for the other tests


def test_old_pyod_without_adengine_gets_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyod.utils.ad_engine", None)
    with pytest.raises(ImportError, match=r"no ADEngine.*pip install -U 'pyod>=3\.0\.0'"):
        adengine()


def test_old_pyod_without_knowledge_base_gets_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyod.utils.knowledge", None)
    monkeypatch.setattr(pyod_tools, "_process_dir", None)
    with pytest.raises(ImportError, match=r"no ADEngine knowledge base.*pyod>=3\.0\.0"):
        knowledge_dir()


def test_adengine_refuses_a_knowledge_dir():
    with pytest.raises(TypeError, match="knowledge_dir"):
        adengine(knowledge_dir="/somewhere")


# ----------------------------------------------------------------- ADEngine

def test_plain_adengine_does_not_know_sla2p():
    # What this module is for; if PyOD ever lists SLA2P itself, revisit the docs.
    with pytest.raises(ValueError, match="Unknown detector name"):
        ADEngine().make_plan([DETECTOR_NAME])


def test_engine_lists_and_explains_sla2p(engine):
    assert DETECTOR_NAME in {d["name"] for d in engine.list_detectors(data_type="tabular")}
    assert engine.explain_detector(DETECTOR_NAME)["class_path"] == "pyod_sla2p.SLA2P"


def test_rule_based_planning_is_unchanged(engine, tabular):
    # SLA2P is reachable by name only: PyOD's own routing must plan as before.
    profile = engine.profile_data(tabular[0])
    assert engine.plan_detection(profile) == ADEngine().plan_detection(profile)


def test_make_plan_and_run_sla2p_with_iforest(engine, tabular):
    X, y = tabular
    plan = engine.make_plan([DETECTOR_NAME, "IForest"], params=[dict(SMALL), {}])
    plans = [plan, *plan["alternatives"]]
    assert [p["detector_name"] for p in plans] == [DETECTOR_NAME, "IForest"]
    # The caller's parameters override, the KB's contamination fills in.
    assert plan["params"] == {**SMALL, "contamination": 0.1}

    results = {p["detector_name"]: engine.run_detection(X, p, X_test=X[:20]) for p in plans}
    sla2p = results[DETECTOR_NAME]
    clf = sla2p["detector"]
    assert isinstance(clf, SLA2P)
    assert clf.get_params()["n_projections"] == SMALL["n_projections"]
    assert clf.get_params()["random_state"] == 0  # the engine's seed reached it
    scores = sla2p["scores_train"]
    assert scores.shape == (len(X),) and np.all(np.isfinite(scores))
    assert roc_auc_score(y, scores) > 0.9
    assert sla2p["scores_test"].shape == (20,)
    np.testing.assert_allclose(sla2p["scores_test"], scores[:20], rtol=1e-4, atol=1e-5)
    assert sla2p["n_anomalies"] == int(sla2p["labels_train"].sum()) > 0
    assert roc_auc_score(y, results["IForest"]["scores_train"]) > 0.9

    analysis = engine.analyze_results(sla2p, X=X)
    top = {a["index"] for a in analysis["top_anomalies"][:8]}
    assert len(top & set(range(8))) >= 6


def test_session_flow_includes_sla2p(engine, tabular):
    """PyOD's documented session: start, plan, run, analyze, iterate, report."""
    X, y = tabular
    state = engine.start(X)
    state = engine.plan(state, constraints={"max_detectors": 2})
    state = engine.run(state)
    state = engine.analyze(state)
    # 'include' builds the detector by name from the knowledge base, with
    # SLA2P's own defaults (ADEngine passes no params here).
    state = engine.iterate(state, {"action": "include", "detectors": [DETECTOR_NAME]})
    assert DETECTOR_NAME in [p["detector_name"] for p in state.plans]
    state = engine.run(state)
    result = next(r for r in state.results if r["detector_name"] == DETECTOR_NAME)
    assert result["status"] == "success", result.get("error")
    assert roc_auc_score(y, result["scores_train"]) > 0.9
    state = engine.analyze(state)
    report = engine.report(state, format="json")
    # The report's consensus is over every planned detector, SLA2P among them.
    assert report["session"]["consensus"]["n_detectors"] == len(state.plans) == 3
    assert roc_auc_score(y, report["session"]["consensus"]["scores"]) > 0.9


# ----------------------------------------------------------------- EmbeddingOD

COOKING = [f"{dish} {step}" for dish in (
    "The soup", "The bread", "The tomato sauce", "The pasta", "The chocolate cake", "The beef stew")
    for step in ("simmers slowly in a heavy pot", "bakes in a hot oven until golden",
                 "needs a pinch more salt and pepper", "tastes of garlic, onion and fresh basil",
                 "cooks for twenty minutes over low heat", "is served warm with melted butter")]
OFF_TOPIC = "The central bank raised interest rates to curb inflation in the bond market."


def hashing_encoder(texts):
    """A local text encoder: hashed character 2- and 3-grams (no model, no download).

    Character n-grams rather than words, so that a new text shares features
    with the training texts, as with a sentence embedding; with words, an
    off-topic text lands only on features that were constant in training.
    """
    from sklearn.feature_extraction.text import HashingVectorizer
    vectorizer = HashingVectorizer(n_features=256, alternate_sign=False, analyzer="char_wb",
                                   ngram_range=(2, 3))
    return vectorizer.transform(texts).toarray()


def test_embeddingod_with_sla2p_ranks_the_off_topic_text_first():
    from pyod.models.embedding import EmbeddingOD

    texts = COOKING + [OFF_TOPIC]
    clf = EmbeddingOD(encoder=hashing_encoder, detector=SLA2P(random_state=0, **SMALL),
                      contamination=0.05)
    clf.fit(texts)
    assert isinstance(clf.detector_, SLA2P)  # a fitted clone of the instance passed
    scores = clf.decision_scores_
    assert scores.shape == (len(texts),) and np.all(np.isfinite(scores))
    assert int(np.argmax(scores)) == len(texts) - 1
    assert clf.labels_[-1] == 1


def test_embeddingod_with_sla2p_scores_new_texts():
    from pyod.models.embedding import EmbeddingOD

    train, held_out = COOKING[::2] + COOKING[1::4], COOKING[3::4]
    clf = EmbeddingOD(encoder=hashing_encoder, detector=SLA2P(random_state=0, **SMALL),
                      contamination=0.1).fit(train)
    assert clf.decision_scores_.shape == (len(train),)

    test = held_out + [OFF_TOPIC]
    scores = clf.decision_function(test)
    assert scores.shape == (len(test),) and np.all(np.isfinite(scores))
    # With 21 training sentences, unseen recipes may look new too; the
    # finance sentence must still be flagged, and score above most of them.
    assert scores[-1] > np.median(scores[:-1])
    labels = clf.predict(test)
    assert labels.shape == (len(test),) and set(labels) <= {0, 1}
    assert labels[-1] == 1
    proba = clf.predict_proba(test)
    assert proba.shape == (len(test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
