"""pyod-sla2p: the SLA²P anomaly detector for the PyOD ecosystem.

SLA²P (Wang et al., "SLA²P: Self-supervised Anomaly Detection with
Adversarial Perturbation", arXiv:2111.12896) trains a classifier to tell
random projections of the data apart and scores each row by how badly the
classifier does on its projections after an adversarial nudge.
"""

from .detector import SLA2P

__version__ = "0.1.0"

__all__ = ["SLA2P", "__version__"]
