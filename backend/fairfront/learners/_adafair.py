"""AdaFair (Iosifidis & Ntoutsi, CIKM 2019): fairness-aware AdaBoost, one attribute."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..metrics import GroupIndex, ManyModelsMetrics
from ._boosting import FairBoostingClassifier

__all__ = ["AdaFairClassifier"]

# variant -> (rates whose gaps set the costs, notion in the ensemble-size criterion)
_VARIANTS = {
    "eo": (("tpr", "tnr"), "eo_sum"),
    "dp": (("selection_rate",), "dp"),
    "eop": (("tpr",), "eop"),
}


class AdaFairClassifier(FairBoostingClassifier):
    """AdaFair: AdaBoost with cumulative fairness costs and a fair ensemble size.

    ``notion`` picks the variant: ``"eo"`` (equalized odds, the paper's default: costs
    from the TPR and TNR gaps), ``"dp"`` (statistical parity: cost on missed positives
    of the least-selected group) or ``"eop"`` (equal opportunity: TPR only).

    The ensemble size theta minimises ``c * BER + (1 - c) * ERR + violation`` (the
    violation in the ``eo_sum`` convention for the "eo" variant, as the paper reports
    it) over the rounds, on a validation split held out inside ``fit`` — the public
    code does this on the training data. Non-trivial rounds only. Costs for a
    misclassified negative use the TNR gap (the public code tests the TPR gap there).
    ``sensitive_features`` holds one protected attribute (two or more groups; with
    more, the group with the worst rate is the disadvantaged one).

    The weak learners are decision stumps: histogram stumps (``tree_method="hist"``:
    the rows binned once into at most ``max_bins`` bins per feature) or scikit-learn's
    ``DecisionTreeClassifier(max_depth=1)`` (``"exact"``); ``"auto"`` (default) takes
    histogram stumps from 100,000 training rows on (``tree_method_`` says which was
    used); ``estimator`` replaces them with any scikit-learn classifier.
    """

    _parameter_constraints: dict[str, list[Any]] = {
        **FairBoostingClassifier._parameter_constraints,
        "notion": [StrOptions(set(_VARIANTS))],
        "c": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        estimator: Any = None,
        *,
        n_estimators: int = 200,
        learning_rate: float = 1.0,
        notion: str = "eo",
        c: float = 1.0,
        validation_size: float = 0.2,
        fairness_weight: float = 1.0,
        class_balance: float = 0.0,
        tree_method: str = "auto",
        max_bins: int = 4096,
        random_state: Any = None,
    ) -> None:
        super().__init__(
            estimator,
            n_estimators=n_estimators,
            learning_rate=learning_rate,
            validation_size=validation_size,
            fairness_weight=fairness_weight,
            class_balance=class_balance,
            tree_method=tree_method,
            max_bins=max_bins,
            random_state=random_state,
        )
        self.notion = notion
        self.c = c

    def _cost_rates(self) -> tuple[str, ...]:
        return _VARIANTS[self.notion][0]

    def _tracked_notions(self) -> tuple[str, ...]:
        tracked = _VARIANTS[self.notion][1]
        return tuple(dict.fromkeys((tracked, "eo", "eo_sum", "dp", "eop")))

    def _front_notions(self) -> tuple[str, ...]:
        return (_VARIANTS[self.notion][1],)

    def _check_groups(self, groups: GroupIndex) -> None:
        if len(groups.attributes) > 1:
            raise ValueError(
                "AdaFair handles one protected attribute; got "
                f"{len(groups.attributes)} ({', '.join(groups.attributes)}). "
                "Use MMMFairClassifier for several."
            )

    def _choose_round(self, metrics: ManyModelsMetrics) -> tuple[int, str]:
        violation = metrics.worst(_VARIANTS[self.notion][1])
        ber = 1 - metrics.overall["balanced_accuracy"]
        err = 1 - metrics.overall["accuracy"]
        criterion = self.c * ber + (1 - self.c) * err + np.nan_to_num(violation, nan=0.0)
        criterion = np.where(metrics.trivial | np.isnan(ber), np.inf, criterion)
        if np.isinf(criterion).all():
            return metrics.n_models, "every round is trivial on validation data; kept all rounds"
        theta = int(np.argmin(criterion)) + 1
        what = "validation data" if not self.validation_on_training_data_ else "training data"
        return theta, (
            f"round {theta} minimises {self.c:g}*BER + {1 - self.c:g}*ERR + "
            f"{_VARIANTS[self.notion][1]} on {what}"
        )
