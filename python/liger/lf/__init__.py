"""Labeling functions: the definition and decorator (``definition``), the appliers
(``appliers``) and the fingerprints of their code (``fingerprint``)."""
