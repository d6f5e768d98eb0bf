"""Per-feature explanations of SLA2P's scores (issue 24; being written)."""


class ExplainMixin:
    """Adds ``explain`` and ``explain_outlier`` to :class:`pyod_sla2p.SLA2P`."""
