"""Every check on what a user hands to SLA2P, in one place.

Two parts:

- :func:`check_input` validates a feature matrix (``fit``,
  ``decision_function`` and the ``predict*`` methods) and returns it as a
  float64 array, with messages that say what was wrong and what to do.
- :data:`PARAMETER_CONSTRAINTS` is the table of every parameter's allowed
  values, checked once in ``fit`` by :func:`check_parameters`, as
  scikit-learn's ``_parameter_constraints``. The step modules below the
  detector trust their inputs.

The checks are written out rather than delegated to scikit-learn's
``check_array`` / ``validate_data``: their wording and keywords have moved
between releases, and the detector's messages are part of its contract.
They follow scikit-learn's wording where its estimator checks look for it
(empty data, complex data, feature names).
"""

import numbers
import warnings

import numpy as np
import torch

from .defaults import VIEWS


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter with a value SLA2P cannot use.

    Both a ``ValueError`` and a ``TypeError``, as scikit-learn's own
    ``InvalidParameterError``, so code that catches either sees it.
    """


# ------------------------------------------------------------------ X
def check_input(X, n_features=None, feature_names=None, estimator_name="SLA2P"):
    """Validate a feature matrix and return it as a C-contiguous float64 array.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A numpy array, a pandas DataFrame, a torch tensor or anything
        ``np.asarray`` accepts, holding real numbers (bool, int, float).
    n_features : int or None, default=None
        The feature count seen in ``fit``; when given, ``X`` must match it.
    feature_names : ndarray of str or None, default=None
        The column names seen in ``fit`` (``feature_names_in_``); when ``X``
        is a DataFrame its columns must match them, in the same order.
    estimator_name : str, default="SLA2P"
        Used in the messages.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), dtype float64

    Raises
    ------
    ValueError
        For sparse, complex or non-numeric data, a masked array with masked
        values, a shape other than 2-D, zero rows or columns, NaN or
        infinite values, or columns that differ from ``fit``.
    """
    _check_feature_names(X, n_features, feature_names, estimator_name)
    if np.ma.isMaskedArray(X):
        n_masked = int(np.ma.count_masked(X))
        if n_masked:
            # np.asarray would silently read the hidden values as data.
            raise ValueError(
                f"X is a masked array with {n_masked} masked value(s); {estimator_name} "
                "cannot leave values out. Fill them (X.filled(value)) or drop their "
                "rows (X[~X.mask.any(axis=1)].data) first.")
        X = np.ma.getdata(X)
    X = _to_numeric_array(X, estimator_name)
    if X.ndim != 2:
        hint = (" Reshape your data with X.reshape(-1, 1) if it holds one "
                "feature, or X.reshape(1, -1) if it holds one sample.") if X.ndim == 1 else ""
        raise ValueError(
            f"{estimator_name} expects a 2-D array (n_samples, n_features), "
            f"got an array with {X.ndim} dimension(s) of shape {X.shape}.{hint}")
    if X.shape[0] == 0:
        raise ValueError(f"{estimator_name} got 0 samples: found array with 0 "
                         f"sample(s) (shape={X.shape}) while a minimum of 1 is "
                         "required. Pass at least one row.")
    if X.shape[1] == 0:
        raise ValueError(f"{estimator_name} got 0 features: 0 feature(s) "
                         f"(shape={X.shape}) while a minimum of 1 is required. "
                         "Pass at least one column.")
    n_nan = int(np.isnan(X).sum())
    n_inf = int(np.isinf(X).sum())
    if n_nan or n_inf:
        raise ValueError(
            f"Input contains {n_nan} NaN and {n_inf} infinite value(s); "
            f"{estimator_name} needs finite numbers. Impute or drop them first "
            "(for example with sklearn.impute.SimpleImputer).")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but {estimator_name} is expecting "
            f"{n_features} features as input (the number seen in fit); pass data "
            "with the same columns as in fit.")
    return np.ascontiguousarray(X, dtype=np.float64)


def feature_names_of(X):
    """The column names of a DataFrame whose names are all strings, else None.

    As scikit-learn: names are kept only when every column name is a string.
    """
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "dtypes"):
        return None
    names = np.asarray(columns, dtype=object)
    if len(names) and all(isinstance(name, str) for name in names):
        return names
    return None


def _check_feature_names(X, n_features, fitted_names, estimator_name):
    """Compare the columns of ``X`` with those seen in ``fit`` (scoring only)."""
    if n_features is None:  # fit: nothing to compare with yet
        return
    names = feature_names_of(X)
    if fitted_names is None:
        if names is not None:
            warnings.warn(f"X has feature names, but {estimator_name} was fitted "
                          "without feature names", UserWarning, stacklevel=4)
        return
    if names is None:
        warnings.warn(f"X does not have valid feature names, but {estimator_name} "
                      "was fitted with feature names", UserWarning, stacklevel=4)
        return
    if len(names) != len(fitted_names) or np.any(names != fitted_names):
        unseen = [n for n in names if n not in set(fitted_names)]
        missing = [n for n in fitted_names if n not in set(names)]
        detail = ""
        if unseen:
            detail += f" Feature names unseen at fit time: {unseen[:5]}."
        if missing:
            detail += f" Feature names seen at fit time, yet now missing: {missing[:5]}."
        if not unseen and not missing:
            detail += " The columns are the same but in another order; reorder them as in fit."
        raise ValueError("The feature names should match those that were passed "
                         f"during fit.{detail}")


def _to_numeric_array(X, estimator_name):
    """Turn ``X`` into a float64 ndarray or raise a ValueError naming the problem."""
    if hasattr(X, "tocsr") or hasattr(X, "sparse") and hasattr(X.sparse, "to_dense"):
        raise TypeError(
            f"Sparse data was passed to {estimator_name}, but dense data is "
            "required. Use X.toarray() to convert it to a dense numpy array.")
    if hasattr(X, "dtypes") and hasattr(X, "columns"):  # pandas DataFrame
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        bad = [str(col) for col, dtype in zip(X.columns, X.dtypes)
               if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype))]
        if bad:
            raise ValueError(
                f"Non-numeric data in column(s) {bad[:5]}; encode categorical or "
                "text columns as numbers (for example with sklearn's OneHotEncoder) first.")
        if any(np.dtype(getattr(dtype, "numpy_dtype", dtype)).kind == "c"
               for dtype in X.dtypes):
            raise ValueError("Complex data not supported; pass real numbers.")
        # Nullable pandas dtypes carry missing values as pd.NA: map them to NaN
        # so the finiteness check reports them.
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
    if arr.dtype.kind == "c" or (arr.dtype.kind == "O" and any(
            isinstance(v, complex) for v in arr.ravel()[:1000])):
        raise ValueError("Complex data not supported; pass real numbers.")
    advice = (f"Non-numeric data (dtype {arr.dtype}); {estimator_name} needs numbers. "
              "Encode categorical or text values as numbers first")
    if arr.dtype.kind in "US":
        raise ValueError(advice + ".")
    # Object arrays of numbers are fine; strings and other objects are not.
    try:
        return arr.astype(np.float64)
    except ValueError as exc:  # a string that is not a number
        raise ValueError(f"{advice} ({exc}).") from exc
    except TypeError as exc:  # an object that is not a string or a number
        raise TypeError(f"{advice} ({exc}).") from exc


# ------------------------------------------------------------ parameters
class _Constraint:
    """One allowed form of a parameter: ``accepts(value)`` and a description."""

    def __init__(self, description, accepts):
        self.description = description
        self.accepts = accepts

    def __str__(self):
        return self.description


def _is_int(v):
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_real(v):
    return isinstance(v, (numbers.Real, np.floating, np.integer)) and not isinstance(
        v, (bool, np.bool_))


def integer(low, high=None):
    """An integer in ``[low, high]`` (``high`` None: no upper bound)."""
    text = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    return _Constraint(text, lambda v: _is_int(v) and low <= v and (high is None or v <= high))


def real(low, high, low_open=False, high_open=False):
    """A finite real number between ``low`` and ``high``."""
    left, right = "(" if low_open else "[", ")" if high_open else "]"

    def accepts(v):
        if not _is_real(v) or not np.isfinite(float(v)):
            return False
        v = float(v)
        return (v > low if low_open else v >= low) and (v < high if high_open else v <= high)

    return _Constraint(f"a finite number in {left}{low:g}, {high:g}{right}", accepts)


def options(*values):
    """One of the given values (compared with ``==``, strings only)."""
    return _Constraint("one of " + ", ".join(repr(v) for v in values),
                       lambda v: isinstance(v, str) and v in values)


def has_methods(*names):
    """An object with these methods (a PyThresh-style thresholder)."""
    return _Constraint("an object with " + ", ".join(f"{n}()" for n in names),
                       lambda v: all(callable(getattr(v, n, None)) for n in names))


NONE = _Constraint("None", lambda v: v is None)
BOOLEAN = _Constraint("True or False", lambda v: isinstance(v, (bool, np.bool_)))


def _is_view_list(v):
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        return False
    views = list(v)
    return (bool(views) and all(isinstance(x, str) and x in VIEWS for x in views)
            and len(set(views)) == len(views))


def _is_width_list(v):
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        return False
    widths = list(v)
    return bool(widths) and all(_is_int(h) and 1 <= h <= 65536 for h in widths)


def _is_seed(v):
    return (v is None or (_is_int(v) and 0 <= v <= 2 ** 32 - 1)
            or isinstance(v, (np.random.Generator, np.random.RandomState)))


#: The device types SLA2P runs on (whether this machine has them is checked
#: when the device is used: detector.resolve_device).
DEVICE_TYPES = ("cpu", "cuda", "mps")


def _is_device(v):
    # A string and a torch.device naming the same device are judged alike.
    if v is None or isinstance(v, str) and v == "auto":
        return True
    if not isinstance(v, (str, torch.device)):
        return False
    try:
        return torch.device(v).type in DEVICE_TYPES
    except (RuntimeError, TypeError, ValueError):
        return False


#: Allowed values of every parameter of SLA2P; a value must satisfy one
#: constraint of its list.
PARAMETER_CONSTRAINTS = {
    "contamination": [real(0.0, 0.5, low_open=True), has_methods("fit")],
    "n_projections": [integer(2, 65536), options("auto")],
    "projection_dim": [integer(1, 65536), options("auto")],
    "hidden_dims": [options("auto"),
                    _Constraint("a non-empty sequence of integers in [1, 65536]",
                                _is_width_list)],
    "acc_threshold": [real(0.0, 1.0, low_open=True, high_open=True), options("auto")],
    # Beyond 1e6 the perturbed float32 rows overflow on any data.
    "epsilon": [real(0.0, 1e6), options("auto")],
    "views": [options("auto", "both", *VIEWS),
              _Constraint("a list of distinct names from ('direction', 'homogeneous')",
                          _is_view_list)],
    "score_function": [options("auto", "brier", "log_prob")],
    "epoch_num": [integer(1)],
    "batch_size": [integer(2)],
    "optimizer_params": [NONE, _Constraint("a dict", lambda v: isinstance(v, dict))],
    "max_train_samples": [integer(1), NONE],
    "score_batch_size": [integer(1), options("auto")],
    "preset": [NONE, options("paper")],
    "device": [_Constraint("None, 'auto', 'cpu', 'cuda' (optionally 'cuda:N'), 'mps' "
                           "or a torch.device of those types", _is_device)],
    "random_state": [_Constraint("None, an integer in [0, 2**32 - 1], or a numpy "
                                 "Generator/RandomState", _is_seed)],
    "verbose": [integer(0), BOOLEAN],
}

#: Allowed entries of ``optimizer_params`` (Adam's own keyword names).
OPTIMIZER_CONSTRAINTS = {
    "lr": real(0.0, 10.0, low_open=True),
    "eps": real(0.0, 1.0, low_open=True),
    "weight_decay": real(0.0, 10.0),
}


def check_parameters(params, estimator_name="SLA2P", constraints=None):
    """Check every parameter against its constraints.

    Parameters
    ----------
    params : dict
        Parameter name to value (``get_params(deep=False)``); names absent
        from the table are not checked.
    estimator_name : str, default="SLA2P"
    constraints : dict or None, default=None
        Name to list of constraints; None: :data:`PARAMETER_CONSTRAINTS`.

    Raises
    ------
    InvalidParameterError
        Naming the first invalid parameter, its allowed values and the value
        it got.
    """
    constraints = PARAMETER_CONSTRAINTS if constraints is None else constraints
    for name, value in params.items():
        allowed = constraints.get(name)
        if allowed is not None and not any(c.accepts(value) for c in allowed):
            raise InvalidParameterError(
                f"The {name!r} parameter of {estimator_name} must be "
                f"{' or '.join(map(str, allowed))}; got {_safe_repr(value)}.")
    if params.get("optimizer_params") is not None:
        _check_optimizer_params(params["optimizer_params"], estimator_name)


def _safe_repr(value):
    # A broken object (a thresholder whose repr fails) must not hide the error.
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - any failure of a user's __repr__
        return f"a {type(value).__name__} object"


def _check_optimizer_params(given, estimator_name):
    for key, value in given.items():
        constraint = OPTIMIZER_CONSTRAINTS.get(key)
        if constraint is None:
            raise InvalidParameterError(
                f"Unknown key {key!r} in the 'optimizer_params' parameter of "
                f"{estimator_name}; the keys are {sorted(OPTIMIZER_CONSTRAINTS)}.")
        if not constraint.accepts(value):
            raise InvalidParameterError(
                f"optimizer_params[{key!r}] of {estimator_name} must be "
                f"{constraint}; got {_safe_repr(value)}.")
