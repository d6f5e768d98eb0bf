"""scikit-learn's estimator checks on SLA2P: which pass, and why the others
cannot."""

import pytest
from sklearn.utils.estimator_checks import check_estimator

from pyod_sla2p import SLA2P

# PyOD's convention, shared by every PyOD detector, against scikit-learn's.
_PYOD_LABELS = ("PyOD labels outliers 1 and inliers 0; scikit-learn's outlier "
                "detectors use -1 and 1. Every PyOD detector fails this check.")
EXPECTED_FAILURES = {
    "check_outliers_train": _PYOD_LABELS,
    "check_outliers_fit_predict": _PYOD_LABELS,
    # Scores are computed in float32 chunks; a BLAS may round a row
    # differently for another matrix shape, so subsets can differ by about
    # 1e-6, above the check's 1e-7 tolerance. tests/test_sla2p.py checks batch
    # independence at 2e-5.
    "check_methods_subset_invariance": "float32 rounding may differ by chunk shape (~1e-6)",
}
# Since the fused forward (pyod_sla2p/fused.py) every layer is one product
# whose rows do not interact, and on the development machine (Intel Xeon,
# MKL) subsets score bit for bit alike, so this check passes there; whether
# it does depends on the BLAS, so it may pass or fail.
MAY_PASS = {"check_methods_subset_invariance"}


@pytest.fixture(scope="module")
def results():
    estimator = SLA2P(n_projections=4, projection_dim=4, random_state=0)
    return check_estimator(estimator, expected_failed_checks=EXPECTED_FAILURES,
                           on_fail=None, on_skip=None)


def test_every_other_check_passes(results):
    failed = {r["check_name"]: repr(r["exception"]) for r in results
              if r["status"] == "failed"}
    assert not failed
    passed = {r["check_name"] for r in results if r["status"] == "passed"}
    assert {"check_estimators_nan_inf", "check_fit2d_1sample", "check_complex_data",
            "check_estimators_empty_data_messages", "check_dtype_object",
            "check_n_features_in_after_fitting", "check_fit2d_predict1d",
            "check_estimators_pickle",
            "check_fit_idempotent", "check_dont_overwrite_parameters",
            "check_parameters_default_constructible"} <= passed


def test_the_expected_failures_still_fail(results):
    # If one starts passing, remove it from EXPECTED_FAILURES (or, when it
    # depends on the machine, add it to MAY_PASS).
    xfailed = {r["check_name"] for r in results if r["status"] == "xfail"}
    assert set(EXPECTED_FAILURES) - MAY_PASS <= xfailed <= set(EXPECTED_FAILURES)


def test_only_the_array_api_check_is_skipped(results):
    # scikit-learn skips it unless SCIPY_ARRAY_API is set; SLA2P takes numpy.
    skipped = {r["check_name"] for r in results if r["status"] == "skipped"}
    assert skipped <= {"check_array_api_input"}
