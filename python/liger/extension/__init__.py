"""Extension: nearest / radius votes (``votes``) and the threshold grid, tuning and
``NearestVotes`` / ``SplitVotes`` (``tuning``)."""
