"""The batch pipeline: ``Liger`` (``estimator``) and its partitions (``partition``)."""
