"""The choices a fit makes by their in-sample dev score (``Liger(model_selection="dev")``, and the
settings the cross-validation of :mod:`liger.selection` does not cover: radius extension,
``fit_on="extended"``, ``n_partitions`` other than 1, a given ``class_balance``). Kept as one
mixin of :class:`liger.Liger` so that the estimator file holds the composition, not every rule."""

from __future__ import annotations

import numpy as np

from .._checks.validation import as_thresholds
from ..extension.tuning import DEFAULT_LEVELS, choose_thresholds
from ..extension.votes import RADIUS_MAX_NEIGHBORS, RadiusVotes
from ..label_model.guard import fall_back_to_majority
from ..splits import dev_score
from .partition import assign, spherical_kmeans

PARTITION_CANDIDATES = (1, 2, 3, 4)
MIN_PART_SIZE = 100


class InSampleChoices:
    """Extension rule, thresholds, partitions and the dev guard chosen on all dev items."""

    def _guard_against_majority(self, train, fit_thresholds, dev, L_dev_ext):
        """Fall back to majority vote when the label model loses to it on dev beyond the noise
        (:func:`liger.label_model.guard.fall_back_to_majority`, shared with the Session)."""
        if dev is None or self._recipe.kind != "triplet":
            return None, None
        statistics = train.statistics(self.n_classes_, fit_thresholds, pairwise=False)
        model_pred = np.argmax(self._proba_extended(L_dev_ext, dev[1]), axis=1)
        voter, comparison = fall_back_to_majority(
            self._recipe, statistics, dev[2], model_pred, L_dev_ext, self.tune_metric_
        )
        if voter is None:
            return None, comparison
        self.partitions_, self.centroids_ = 1, None
        self.global_label_model_, self.label_models_ = voter, [voter]
        self.dev_score_ = comparison.majority
        return "majority", comparison

    def _choose_extension(self, train, X_train, dev_votes, dev):
        """The extension rule and its thresholds: ``(rule, train votes, dev votes, (thresholds,
        levels, dev score))``; with ``extension="tune"``, "radius" only if it gains ``min_gain``."""
        best = None
        for rule in ("nearest", "radius") if self.extension == "tune" else (self.extension,):
            rule_train, rule_dev = train, dev_votes
            if rule == "radius":
                candidates = self._threshold_candidates(train)
                if self.fit_on == "extended":
                    rule_train = self._radius_votes(
                        train.L, self._X_support, candidates, train.scores
                    )
                if dev is not None:
                    rule_dev = self._radius_votes(dev_votes.L, dev[1], candidates, dev_votes.scores)
            chosen = self._choose_thresholds(rule_train, rule_dev, dev)
            self._log(f"extension {rule!r}: dev {chosen[2]}")
            # "radius" (tried second) must gain min_gain on dev over "nearest", the simpler rule,
            # like every more complex setting here.
            if best is None or (chosen[2] is not None and chosen[2] >= best[3][2] + self.min_gain):
                best = (rule, rule_train, rule_dev, chosen)
        rule, rule_train, rule_dev, chosen = best
        if rule == "radius" and not isinstance(rule_train, RadiusVotes):
            # Tuning on votes as cast never needed the train split's radius votes: they are
            # searched once, for the chosen thresholds only.
            thresholds = chosen[0]
            rule_train = self._radius_votes(train.L, X_train, thresholds[:, None], train.scores)
        return rule, rule_train, rule_dev, chosen

    def _threshold_candidates(self, train) -> np.ndarray:
        """(m, G) thresholds the tuning may try: the level grid, or the fixed thresholds."""
        if isinstance(self.thresholds, str):
            return train.grid(DEFAULT_LEVELS)
        return as_thresholds(self.thresholds, train.L.shape[1])[:, None]

    def _radius_votes(self, L, X, candidates, scores=None) -> RadiusVotes:
        return RadiusVotes(
            L,
            X,
            self._L_support,
            self._X_support,
            candidates,
            metric=self.metric,
            max_neighbors=RADIUS_MAX_NEIGHBORS,
            scores=scores,
            n_jobs=self.n_jobs,
        )

    def _choose_thresholds(self, train, dev_votes, dev):
        result = choose_thresholds(
            self.thresholds,
            train,
            lambda thresholds: self._dev_score(train, dev_votes, dev, thresholds),
            has_dev=dev is not None,
            threshold_search=self.threshold_search,
            min_gain=self.min_gain,
        )
        if isinstance(self.thresholds, str):
            self._log(
                f"thresholds: global level {result.global_level}, dev {self.tune_metric_} "
                f"{result.dev_score:.4f} after {result.evaluations} evaluations"
            )
        return result.thresholds, result.levels, result.dev_score

    def _dev_score(self, train, dev_votes, dev, thresholds) -> float:
        """Dev score of a threshold vector. With fit_on="original" the label model is fixed, so a
        candidate costs one vectorised extension and one posterior of the dev split."""
        if self.fit_on == "extended":
            self._set_partitions(1, None, train, thresholds)
        L_dev_ext = dev_votes.extend(thresholds)
        return self._score_dev(dev, L_dev_ext)

    def _score_dev(self, dev, L_dev_ext) -> float:
        proba = self._proba_extended(L_dev_ext, dev[1])
        return dev_score(self.tune_metric_, dev[2], np.argmax(proba, axis=1), self.n_classes_)

    def _choose_partitions(self, X_train, train, fit_thresholds, dev, L_dev_ext):
        s = self.n_partitions
        if isinstance(s, str):  # "tune" (checked by _check_settings)
            self._set_partitions(1, X_train, train, fit_thresholds)
            best, chosen = self._score_dev(dev, L_dev_ext), self._partition_state()
            for candidate in PARTITION_CANDIDATES[1:]:
                if candidate > X_train.shape[0]:
                    break
                self._set_partitions(candidate, X_train, train, fit_thresholds)
                score = self._score_dev(dev, L_dev_ext)
                self._log(f"partitions: {candidate} parts, dev {self.tune_metric_} {score:.4f}")
                # More parts must earn their keep on dev (guards against fitting dev noise).
                if score >= best + self.min_gain:
                    best, chosen = score, self._partition_state()
            self.partitions_, self.centroids_, self.label_models_, self.global_label_model_ = chosen
            self.dev_score_ = best
            return
        if s > 1 and X_train is not None and s > X_train.shape[0]:
            raise ValueError(
                f"n_partitions: expected at most {X_train.shape[0]} parts (the train points), "
                f"got {s}"
            )
        self._set_partitions(int(s), X_train, train, fit_thresholds)

    def _set_partitions(self, s, X_train, train, fit_thresholds):
        """``s`` parts with a label model each, fitted on the train votes extended with
        ``fit_thresholds`` (None: the votes as cast)."""
        y_dev = None if self._dev_labels is None else self._dev_labels[1]
        pairwise = self._recipe.kind != "majority"  # majority vote needs no co-occurrences
        statistics = train.statistics(self.n_classes_, fit_thresholds, pairwise)
        self.global_label_model_ = self._fit_label_model(statistics, y_dev, None)
        if s == 1:
            self.partitions_, self.centroids_ = 1, None
            self.label_models_ = [self.global_label_model_]
            return
        L_fit = train.L if fit_thresholds is None else train.extend(fit_thresholds)
        centroids, labels = spherical_kmeans(X_train, s, random_state=self.random_state)
        dev_part = None if y_dev is None else assign(self._dev_labels[0], centroids)
        global_balance = self.global_label_model_.class_balance_
        models = []
        for part in range(s):
            rows = L_fit[labels == part]
            # A part needs enough points for its moments; otherwise it uses the global model.
            enough = rows.shape[0] >= MIN_PART_SIZE
            y_part = None if dev_part is None else y_dev[dev_part == part]
            if enough:
                statistics = self._recipe.statistics(rows)
                models.append(self._fit_label_model(statistics, y_part, global_balance))
            else:
                models.append(None)
        self.partitions_, self.centroids_, self.label_models_ = s, centroids, models
