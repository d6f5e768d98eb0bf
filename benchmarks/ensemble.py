"""SLA2P in an ensemble with one PyOD detector (issue 15, lever 6).

Scores of different detectors live on different scales (SLA2P's negated
log-probabilities, IForest's path-length scores, KNN's distances), so each
member's scores are standardised by the mean and standard deviation of its
scores on the training rows, and the ensemble's score is their average
(``combo.models.score_comb.average``; Zhao et al., "Combining Machine
Learning Models Using combo Library", AAAI 2020). Rows scored later are
standardised with the same training statistics, so a row's score does not
depend on the other rows scored with it.

combo's ``SimpleDetectorAggregator`` would do this in one class, but it
fails on scikit-learn 1.9; its score functions work, and this class keeps
the ensemble a plain PyOD ``BaseDetector`` that ``clone`` and ``pickle``
handle. It lives in the benchmarks: a recipe to measure, not the default
SLA2P (the runner's registry names it ``sla2p+iforest``, ``sla2p+knn`` and
``sla2p+ecod``).
"""

from __future__ import annotations

import numpy as np
from combo.models.score_comb import average
from pyod.models.base import BaseDetector
from pyod.utils.utility import standardizer
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

__all__ = ["PARTNERS", "SLA2PEnsemble"]

#: Partner name -> ``"module:Class"`` of the PyOD detector (built with its defaults).
PARTNERS = {"iforest": "pyod.models.iforest:IForest", "knn": "pyod.models.knn:KNN",
            "ecod": "pyod.models.ecod:ECOD"}


def _partner_class(name):
    from .registry import import_object

    if name not in PARTNERS:
        raise ValueError(f"partner must be one of {', '.join(map(repr, PARTNERS))}, "
                         f"got {name!r}")
    return import_object(PARTNERS[name])


class SLA2PEnsemble(BaseDetector):
    """The average of the standardised scores of SLA2P and one PyOD detector.

    Parameters
    ----------
    partner : {"iforest", "knn", "ecod"}, default="iforest"
        The PyOD detector beside SLA2P, with PyOD's default parameters:
        IForest for tabular data, KNN for embeddings (issue 15); ECOD adds
        the per-feature tails SLA2P misses on extreme-value sets (issue 26).
    contamination : float in (0, 0.5], default=0.1
        Share of outliers assumed in the training rows; sets ``threshold_``
        and ``labels_`` (the scores do not depend on it). Passed to both
        members as well.
    random_state : int, RandomState instance or None, default=None
        Seeds SLA2P and, when it takes one, the partner (IForest): both get
        the same value.
    sla2p_params : dict or None, default=None
        Constructor arguments of SLA2P; None: its defaults.

    Attributes
    ----------
    detectors_ : list of BaseDetector
        The fitted members: SLA2P, then the partner.
    score_scaler_ : sklearn.preprocessing.StandardScaler
        The mean and standard deviation of each member's training scores.
    decision_scores_ : ndarray of shape (n_samples,)
        The ensemble's scores of the training rows (higher = more abnormal).
    threshold_, labels_
        As in every PyOD detector.
    n_features_in_ : int

    Examples
    --------
    >>> from pyod.utils.data import generate_data
    >>> X, _, y, _ = generate_data(n_train=200, n_test=10, n_features=4, random_state=0)
    >>> det = SLA2PEnsemble(partner="knn", random_state=0,
    ...                     sla2p_params={"n_projections": 8, "projection_dim": 8}).fit(X)
    >>> det.decision_function(X[:3]).shape
    (3,)
    """

    def __init__(self, partner="iforest", contamination=0.1, random_state=None,
                 sla2p_params=None):
        # sklearn contract: store only; PyOD's BaseDetector.__init__ is not
        # called because it validates, which belongs in fit.
        self.partner = partner
        self.contamination = contamination
        self.random_state = random_state
        self.sla2p_params = sla2p_params

    def _members(self):
        from pyod_sla2p import SLA2P

        partner_cls = _partner_class(self.partner)
        sla2p = SLA2P(**{"contamination": self.contamination, "random_state": self.random_state,
                         **(self.sla2p_params or {})})
        partner = partner_cls(contamination=self.contamination)
        if "random_state" in partner.get_params():
            partner.set_params(random_state=self.random_state)
        return [sla2p, partner]

    def fit(self, X, y=None):
        """Fit both members on ``X`` and learn their training scores' scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        if not isinstance(self.contamination, (float, int)) or not 0 < self.contamination <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5], got {self.contamination!r}")
        X = check_array(X)
        self._set_n_classes(y)
        members = self._members()
        for member in members:
            member.fit(X)
        train = np.column_stack([m.decision_scores_ for m in members])
        standardised, scaler = standardizer(train, keep_scalar=True)
        self.detectors_ = members
        self.score_scaler_ = scaler
        self.n_features_in_ = X.shape[1]
        self.decision_scores_ = average(standardised)
        self._process_decision_scores()
        return self

    def decision_function(self, X):
        """The ensemble's score of each row of ``X`` (higher = more abnormal).

        Each member's score is standardised with its training mean and
        standard deviation, then the two are averaged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, ["detectors_", "score_scaler_"])
        X = check_array(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} was "
                             f"fitted with {self.n_features_in_}")
        scores = np.column_stack([m.decision_function(X) for m in self.detectors_])
        return average(self.score_scaler_.transform(scores))
