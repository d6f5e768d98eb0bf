"""Input checks with messages that say what was wrong and what to do.

scikit-learn's ``check_array`` covers most of this, but its wording and
keyword names have moved between releases (``force_all_finite`` became
``ensure_all_finite``); the detector's error messages are part of its
contract, so they are spelled out here.
"""

import numbers

import numpy as np
import torch


def check_input(X, n_features=None, estimator_name="SLA2P"):
    """Validate a feature matrix and return it as a C-contiguous float64 array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A numpy array, a pandas DataFrame or anything ``np.asarray`` accepts,
        holding numbers (bool, int, float).
    n_features : int or None, default=None
        The feature count seen in ``fit``; when given, ``X`` must match it.
    estimator_name : str, default="SLA2P"
        Used in the messages.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), dtype float64

    Raises
    ------
    ValueError
        For non-numeric data, a shape other than 2-D, zero rows or columns,
        NaN or infinite values, or a feature count that differs from ``fit``.
    """
    X = _to_numeric_array(X)
    if X.ndim != 2:
        hint = (" Reshape it with X.reshape(-1, 1) if it holds one feature, "
                "or X.reshape(1, -1) if it holds one sample.") if X.ndim == 1 else ""
        raise ValueError(
            f"{estimator_name} expects a 2-D array (n_samples, n_features), "
            f"got an array with {X.ndim} dimension(s) of shape {X.shape}.{hint}")
    if X.shape[0] == 0:
        raise ValueError(f"{estimator_name} got 0 samples (shape {X.shape}); "
                         "pass at least one row.")
    if X.shape[1] == 0:
        raise ValueError(f"{estimator_name} got 0 features (shape {X.shape}); "
                         "pass at least one column.")
    n_nan = int(np.isnan(X).sum())
    n_inf = int(np.isinf(X).sum())
    if n_nan or n_inf:
        raise ValueError(
            f"Input contains {n_nan} NaN and {n_inf} infinite value(s); "
            f"{estimator_name} needs finite numbers. Impute or drop them first "
            "(for example with sklearn.impute.SimpleImputer).")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but {estimator_name} was fitted "
            f"with {n_features} features; pass data with the same columns as in fit.")
    return np.ascontiguousarray(X, dtype=np.float64)


def _to_numeric_array(X):
    """Turn ``X`` into a float64 ndarray or raise a ValueError naming the problem."""
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # pandas DataFrame
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        bad = [str(col) for col, dtype in zip(X.columns, X.dtypes)
               if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype))]
        if bad:
            raise ValueError(
                f"Non-numeric data in column(s) {bad[:5]}; encode categorical or "
                "text columns as numbers (for example with sklearn's OneHotEncoder) first.")
        # Nullable pandas dtypes carry missing values as pd.NA: map them to NaN
        # so the finiteness check below reports them.
        return X.to_numpy(dtype=np.float64, na_value=np.nan)
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    if isinstance(X, numbers.Number) or X is None:
        raise ValueError(f"Expected a 2-D array of numbers, got {type(X).__name__}.")
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"Could not read X as a 2-D array: {exc}") from exc
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64, copy=False)
    if arr.dtype.kind == "c":
        raise ValueError("Complex-valued input is not supported; pass real numbers.")
    try:
        # Object arrays of numbers are fine; strings and mixed objects are not.
        if arr.dtype.kind in "US":
            raise TypeError
        return arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Non-numeric data (dtype {arr.dtype}); SLA2P needs numbers. Encode "
            "categorical or text values as numbers first.") from exc

