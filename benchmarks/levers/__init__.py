"""Research levers of SLA2P, measured by the ablations and kept out of the library.

Each module replaces one of :class:`pyod_sla2p.SLA2P`'s named steps for
:class:`benchmarks.variants.SLA2PVariant`: :mod:`.preprocessing` (PCA
whitening), :mod:`.training` (Latent Outlier Exposure), :mod:`.scoring`
(perturbation forms, iterated steps, temperature, the score change and
GOAD's centre score) and :mod:`.viewrule` (views chosen from the training
rows). None of them is on SLA2P's default path; the ablations in
``benchmarks/results/*_ablation`` recorded what each gave.
"""
