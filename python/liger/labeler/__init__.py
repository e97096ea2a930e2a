"""Labeling new records with a fitted pipeline: :class:`Labeler` and the text encoders."""
