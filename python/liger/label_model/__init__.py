"""Label models: the shared base ``VoteModel`` (``base``), vote statistics (``statistics``), the
triplet model (``triplet``), posterior encoding (``encoding``), majority vote (``majority``), class
balance (``class_balance``), the label recipe (``labeling``) and the dev guard (``guard``)."""
