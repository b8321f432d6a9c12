"""fairfront's learners against their peers, on the four shipped datasets, one scorer.

For each dataset (``load_dataset(name)``: its own test split, or the fixed 75/25 split
of ``random_state=0``; protected = the dataset's defaults), the dataset's preprocessor
is fitted once on the training rows. Peers that hold out no validation split of their
own are fitted on a fixed 80% of the training rows; the other 20% is their validation
split (fairfront's learners hold out 20% inside ``fit``, stratified the same way).

Methods (each gives one or more models = points):

* fairfront ``MMMFairClassifier`` (defaults, 300 rounds): a point per round;
* fairfront ``AdaFairClassifier`` (200 rounds, the first protected attribute only);
* fairfront ``FairGBMClassifier`` (200 trees, the same count as plain LightGBM);
* Fairlearn ``ExponentiatedGradient(EqualizedOdds(b))`` on a 50-tree LightGBM, plain
  and class-balanced, one point per bound b in (0.02, 0.05), ``max_iter=8`` (the
  protected attributes' intersection is Fairlearn's group). A modest grid: each
  iteration fits a LightGBM, and on this shared 2-core machine the default
  ``max_iter=50`` with three bounds took over 12 minutes on Adult alone;
* Fairlearn ``ThresholdOptimizer`` (equalized odds, balanced-accuracy objective) on
  LightGBM, plain and class-balanced (needs the protected attributes at prediction);
* FairGBM 0.9.14 (``fairgbm``, a LightGBM 3.2 fork) when it is installed: its
  constrained cross-entropy with FNR and FPR constraints over the intersectional
  cells, a point every 10 rounds;
* plain LightGBM (200 trees) and class-balanced LightGBM, a point every 10 rounds;
* reference, not a learner: group thresholds on a class-balanced LightGBM
  (``fairfront.learners.group_threshold_references``; needs the protected attributes
  at prediction).

Fairlearn's estimators take dense arrays (its input checks refuse sparse ones); the
others take the sparse matrix. Every point is scored on test rows by
``fairfront.metrics.evaluate_many`` (eo =
Fairlearn's max(TPR gap, FPR gap), worst over the protected attributes). Per method:
fit seconds and their ratio to the plain 200-tree LightGBM fitted in the same run (all
LightGBM fits use one thread, fair_gbm's included). The two fits the speed criterion
compares, plain LightGBM and fair_gbm (200 trees each), are timed ``--repeats`` times
after one warm-up fit each; the table gives their best wall time, and the fair_gbm
line under it the ratio of best wall times, of median wall times and of best CPU
times (process time: on a busy machine the wall time includes waiting for a core).
The other methods are fitted once. Each fit gets the same input: fair_gbm the
training rows (it holds out its own validation split and fairness-read rows
inside ``fit``), plain LightGBM the peers' 80% fit rows. The hypervolume (moocore)
of the test points in (1 - balanced accuracy, worst eo) against (0.5, 0.5); the best
test balanced accuracy among points with test eo <= 0.05 and <= 0.10; and the point
chosen on validation by
one rule for all (validation eo <= 0.05, then the best validation balanced accuracy;
the knee of the validation front when no point meets it), with its test figures.

    python bench/bench_peers.py [--datasets adult compas ...] [--repeats 5] [--json PATH] [-v]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm
import moocore
import numpy as np
import pandas as pd
import sklearn
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient

import fairfront
from fairfront.datasets import Dataset, load_dataset
from fairfront.fronts import (
    Constraint,
    NoEligiblePointError,
    NoFeasiblePointError,
    SelectionRule,
    select,
)
from fairfront.learners import (
    AdaFairClassifier,
    FairGBMClassifier,
    MMMFairClassifier,
    group_threshold_references,
    stratified_validation_split,
)
from fairfront.metrics import GroupIndex, evaluate_many

log = logging.getLogger("bench_peers")

DATASETS = ("adult", "compas", "german", "bank")
NOTIONS = ("eo",)
REFERENCE_POINT = (0.5, 0.5)
RULE = SelectionRule(kind="constraints", constraints=(Constraint.parse("eo<=0.05"),))
TREES = 200
EG_BOUNDS = (0.02, 0.05)
EG_MAX_ITER = 8
EG_TREES = 50
STAGE_EVERY = 10
REPEATS = 5
MAX_RATIO = 3.0


@dataclass
class Split:
    """One dataset, preprocessed: training, peers' fit/validation parts, test."""

    name: str
    X: Any
    y: np.ndarray
    s: pd.DataFrame
    X_test: Any
    y_test: np.ndarray
    s_test: pd.DataFrame
    fit_rows: np.ndarray
    val_rows: np.ndarray


@dataclass
class Result:
    method: str
    family: str
    seconds: float
    val_pred: np.ndarray  # n_val x m booleans (validation of the method's own split)
    test_pred: np.ndarray  # n_test x m booleans
    val_y: np.ndarray
    val_s: pd.DataFrame
    note: str = ""
    needs_protected: bool = False
    scores: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    """For repeated fits: wall_best, wall_median, cpu_best (seconds) and repeats."""


def _prepare(name: str) -> Split:
    data: Dataset = load_dataset(name)
    assert data.X_test is not None and data.y_test is not None
    assert data.sensitive_test is not None
    pre = data.preprocessor().fit(data.X)
    X = pre.transform(data.X).tocsr().astype(np.float64)
    X_test = pre.transform(data.X_test).tocsr().astype(np.float64)
    y = np.asarray(data.y).astype(np.intp)
    groups = GroupIndex.from_sensitive(data.sensitive, y.shape[0])
    fit_rows, val_rows = stratified_validation_split(y, groups, 0.2, np.random.RandomState(0))
    return Split(
        name,
        X,
        y,
        data.sensitive.reset_index(drop=True),
        X_test,
        np.asarray(data.y_test).astype(np.intp),
        data.sensitive_test.reset_index(drop=True),
        fit_rows,
        val_rows,
    )


def _lgbm(balanced: bool, n_estimators: int = TREES) -> lightgbm.LGBMClassifier:
    return lightgbm.LGBMClassifier(
        n_estimators=n_estimators,
        class_weight="balanced" if balanced else None,
        n_jobs=1,
        verbose=-1,
        random_state=0,
    )


def _cells(s: pd.DataFrame) -> pd.Series:
    """The intersection of the protected attributes, as one label per row."""
    return s.astype(str).agg(" & ".join, axis=1)


def _timed(fit: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fit()
    return out, time.perf_counter() - started


def _repeat_timed(fit: Callable[[], Any], repeats: int) -> tuple[Any, dict[str, Any]]:
    """The last of ``repeats`` fits after one warm-up, and their wall and CPU seconds."""
    fit()
    walls, cpus = [], []
    out = None
    for _ in range(max(1, repeats)):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fit()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return out, {
        "wall_best": min(walls),
        "wall_median": float(np.median(walls)),
        "cpu_best": min(cpus),
        "repeats": len(walls),
    }


# ----- fairfront ------------------------------------------------------------------------


def _fairfront(d: Split, method: str, repeats: int = 1) -> Result:
    s_fit = d.s if method != "AdaFair" else d.s.iloc[:, :1]
    if method == "MMM-Fair":
        model: Any = MMMFairClassifier(random_state=0)
    elif method == "AdaFair":
        model = AdaFairClassifier(n_estimators=TREES, random_state=0)
    else:
        model = FairGBMClassifier(n_estimators=TREES, n_jobs=1, random_state=0)
    timing: dict[str, Any] = {}
    if method == "fair_gbm":
        _, timing = _repeat_timed(lambda: model.fit(d.X, d.y, sensitive_features=s_fit), repeats)
        seconds = timing["wall_best"]
    else:
        _, seconds = _timed(lambda: model.fit(d.X, d.y, sensitive_features=s_fit))
    # The learner's own validation split, scored over every protected attribute (AdaFair
    # saw one). The boosting learners do not expose their split: rebuild it (same rule,
    # same seed) and check that it reproduces the learner's own validation figures.
    val_rows = getattr(model, "validation_indices_", None)
    if val_rows is None:
        groups = GroupIndex.from_sensitive(s_fit, d.y.shape[0])
        _, val_rows = stratified_validation_split(d.y, groups, 0.2, np.random.RandomState(0))
    val_pred = model.staged_positive_matrix(d.X[val_rows])
    own = evaluate_many(
        d.y[val_rows],
        val_pred,
        sensitive_features=s_fit.iloc[val_rows],
        notions=model.validation_metrics_.notions,
    )
    if [own.block(i) for i in range(own.n_models)] != [p["validation"] for p in model.points_]:
        raise RuntimeError(f"{method}: the rebuilt validation split differs from the learner's")
    test_pred = model.staged_positive_matrix(d.X_test)
    note = "protected: " + ", ".join(s_fit.columns) if method == "AdaFair" else ""
    return Result(
        f"fairfront {method}",
        "fairfront",
        seconds,
        val_pred,
        test_pred,
        d.y[val_rows],
        d.s.iloc[val_rows],
        note,
        timing=timing,
    )


# ----- peers ----------------------------------------------------------------------------


def _plain(d: Split, balanced: bool, repeats: int = 1) -> Result:
    model = _lgbm(balanced)
    X_fit, y_fit = d.X[d.fit_rows], d.y[d.fit_rows]
    timing: dict[str, Any] = {}
    if repeats > 1:
        _, timing = _repeat_timed(lambda: model.fit(X_fit, y_fit), repeats)
        seconds = timing["wall_best"]
    else:
        _, seconds = _timed(lambda: model.fit(X_fit, y_fit))
    rounds = list(range(STAGE_EVERY, TREES + 1, STAGE_EVERY))

    def staged(X: Any) -> np.ndarray:
        return np.column_stack(
            [
                np.asarray(model.booster_.predict(X, num_iteration=t, raw_score=True)) > 0
                for t in rounds
            ]
        )

    name = "LightGBM, class-balanced" if balanced else "LightGBM"
    return Result(
        name,
        "lightgbm",
        seconds,
        staged(d.X[d.val_rows]),
        staged(d.X_test),
        d.y[d.val_rows],
        d.s.iloc[d.val_rows],
        f"{TREES} trees, a point every {STAGE_EVERY}",
        timing=timing,
    )


def _exponentiated_gradient(d: Split, balanced: bool, max_iter: int) -> Result:
    val, test, seconds = [], [], 0.0
    cells = _cells(d.s.iloc[d.fit_rows])
    for bound in EG_BOUNDS:
        model = ExponentiatedGradient(
            _lgbm(balanced, n_estimators=EG_TREES),
            EqualizedOdds(difference_bound=bound),
            max_iter=max_iter,
        )
        started = time.perf_counter()
        model.fit(d.X[d.fit_rows].toarray(), d.y[d.fit_rows], sensitive_features=cells)
        seconds += time.perf_counter() - started
        val.append(model.predict(d.X[d.val_rows].toarray(), random_state=0) == 1)
        test.append(model.predict(d.X_test.toarray(), random_state=0) == 1)
    name = "Fairlearn EG, LightGBM" + (" class-balanced" if balanced else "")
    return Result(
        name,
        "fairlearn",
        seconds,
        np.column_stack(val),
        np.column_stack(test),
        d.y[d.val_rows],
        d.s.iloc[d.val_rows],
        f"EqualizedOdds bounds {', '.join(map(str, EG_BOUNDS))}; max_iter {max_iter}; "
        f"{EG_TREES}-tree LightGBM",
    )


def _threshold_optimizer(d: Split, balanced: bool) -> Result:
    model = ThresholdOptimizer(
        estimator=_lgbm(balanced),
        constraints="equalized_odds",
        objective="balanced_accuracy_score",
        predict_method="predict_proba",
    )
    cells = _cells(d.s)
    _, seconds = _timed(
        lambda: model.fit(
            d.X[d.fit_rows].toarray(), d.y[d.fit_rows], sensitive_features=cells.iloc[d.fit_rows]
        )
    )
    val = model.predict(
        d.X[d.val_rows].toarray(), sensitive_features=cells.iloc[d.val_rows], random_state=0
    )
    test = model.predict(d.X_test.toarray(), sensitive_features=_cells(d.s_test), random_state=0)
    name = "Fairlearn ThresholdOptimizer, LightGBM" + (" class-balanced" if balanced else "")
    return Result(
        name,
        "fairlearn",
        seconds,
        (val == 1)[:, None],
        (test == 1)[:, None],
        d.y[d.val_rows],
        d.s.iloc[d.val_rows],
        "randomised thresholds per intersectional cell",
        needs_protected=True,
    )


def _fairgbm(d: Split) -> Result | None:
    try:
        import fairgbm
    except ImportError:
        log.info("fairgbm is not installed (pip install '.[peers]'); skipped")
        return None
    codes, _ = GroupIndex.from_sensitive(d.s, d.y.shape[0]).intersection()
    train = fairgbm.Dataset(
        d.X[d.fit_rows], label=d.y[d.fit_rows], constraint_group=codes[d.fit_rows]
    )
    params = {
        "objective": "constrained_cross_entropy",
        "constraint_type": "FNR,FPR",
        "global_constraint_type": "FNR,FPR",
        "multiplier_learning_rate": 0.1,
        "num_threads": 1,
        "verbose": -1,
        "seed": 0,
    }
    booster, seconds = _timed(lambda: fairgbm.train(params, train, num_boost_round=TREES))
    rounds = list(range(STAGE_EVERY, TREES + 1, STAGE_EVERY))

    def staged(X: Any) -> np.ndarray:
        return np.column_stack([booster.predict(X, num_iteration=t) > 0.5 for t in rounds])

    return Result(
        "FairGBM 0.9.14",
        "fairgbm",
        seconds,
        staged(d.X[d.val_rows]),
        staged(d.X_test),
        d.y[d.val_rows],
        d.s.iloc[d.val_rows],
        "FNR,FPR constraints over the intersectional cells, multiplier lr 0.1",
    )


# ----- scoring --------------------------------------------------------------------------


def _score(result: Result, d: Split) -> None:
    test = evaluate_many(d.y_test, result.test_pred, sensitive_features=d.s_test, notions=NOTIONS)
    ba, eo = test.overall["balanced_accuracy"], test.worst("eo")
    F = np.column_stack([1.0 - ba, eo])
    keep = np.all(np.isfinite(F), axis=1) & np.all(np.asarray(REFERENCE_POINT) > F, axis=1)
    hv = float(moocore.hypervolume(F[keep], ref=REFERENCE_POINT)) if keep.any() else 0.0
    best = {}
    for bound in (0.05, 0.10):
        ok = np.isfinite(ba) & (eo <= bound)
        best[bound] = float(ba[ok].max()) if ok.any() else None
    val = evaluate_many(
        result.val_y, result.val_pred, sensitive_features=result.val_s, notions=NOTIONS
    )
    points = [
        {
            "round": i + 1,
            "trivial": bool(val.trivial[i]),
            "on_front": False,
            "selected": False,
            "validation": val.block(i),
        }
        for i in range(val.n_models)
    ]
    try:
        chosen = select(points, RULE, NOTIONS)
        how = "eo<=0.05"
    except NoFeasiblePointError:
        chosen = select(points, SelectionRule(kind="knee"), NOTIONS)
        how = "knee"
    except NoEligiblePointError:
        chosen, how = None, "none"
    result.scores = {
        "hypervolume": hv,
        "n_points": int(F.shape[0]),
        "best_ba_eo_0.05": best[0.05],
        "best_ba_eo_0.10": best[0.10],
        "chosen": None
        if chosen is None
        else {
            "index": chosen.index,
            "by": how,
            "test_balanced_accuracy": float(ba[chosen.index]),
            "test_eo": float(eo[chosen.index]),
        },
    }


def _reference(d: Split) -> dict[str, Any]:
    started = time.perf_counter()
    refs = group_threshold_references(
        d.X, d.y, d.s, d.X_test, d.y_test, d.s_test, notions=NOTIONS, n_estimators=TREES
    )
    seconds = time.perf_counter() - started
    F = np.array([[1.0 - r["test"]["balanced_accuracy"], r["test"]["eo"]["value"]] for r in refs])
    keep = np.all(np.asarray(REFERENCE_POINT) > F, axis=1)
    hv = float(moocore.hypervolume(F[keep], ref=REFERENCE_POINT)) if keep.any() else 0.0
    return {
        "seconds": seconds,
        "hypervolume": hv,
        "points": [
            {
                "bound": r["bound"],
                "meets_bound_on_validation": r["meets_bound"],
                "test_balanced_accuracy": r["test"]["balanced_accuracy"],
                "test_eo": r["test"]["eo"]["value"],
            }
            for r in refs
        ],
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def run_dataset(name: str, eg_max_iter: int, repeats: int = REPEATS) -> dict[str, Any]:
    d = _prepare(name)
    log.info(
        "%s: %d training rows, %d test rows, protected %s",
        name,
        len(d.y),
        len(d.y_test),
        list(d.s.columns),
    )
    results: list[Result] = []
    steps: list[tuple[str, Callable[[], Result | None]]] = [
        ("LightGBM", lambda: _plain(d, False, repeats)),
        ("LightGBM balanced", lambda: _plain(d, True)),
        ("fair_gbm", lambda: _fairfront(d, "fair_gbm", repeats)),
        ("MMM-Fair", lambda: _fairfront(d, "MMM-Fair")),
        ("AdaFair", lambda: _fairfront(d, "AdaFair")),
        ("EG", lambda: _exponentiated_gradient(d, False, eg_max_iter)),
        ("EG balanced", lambda: _exponentiated_gradient(d, True, eg_max_iter)),
        ("ThresholdOptimizer", lambda: _threshold_optimizer(d, False)),
        ("ThresholdOptimizer balanced", lambda: _threshold_optimizer(d, True)),
        ("FairGBM", lambda: _fairgbm(d)),
    ]
    for label, step in steps:
        log.info("%s: %s", name, label)
        result = step()
        if result is not None:
            _score(result, d)
            results.append(result)
    baseline = results[0].seconds
    reference = _reference(d)
    rows = []
    for r in results:
        rows.append(
            {
                "method": r.method,
                "family": r.family,
                "seconds": r.seconds,
                "ratio_to_lightgbm": r.seconds / baseline,
                "timing": r.timing,
                "needs_protected_at_prediction": r.needs_protected,
                "note": r.note,
                **r.scores,
            }
        )
    return {
        "dataset": name,
        "protected": list(d.s.columns),
        "n_rows": {"training": len(d.y), "test": len(d.y_test)},
        "load_average_after": list(os.getloadavg()),
        "rows": rows,
        "group_thresholds_reference": reference,
    }


def run_speed(name: str, repeats: int) -> dict[str, Any]:
    """The speed criterion alone: plain LightGBM and fair_gbm, timed as in ``run_dataset``."""
    d = _prepare(name)
    plain = _plain(d, False, repeats)
    gbm = _fairfront(d, "fair_gbm", repeats)
    return {
        "dataset": name,
        "n_rows": {"training": len(d.y), "test": len(d.y_test)},
        "load_average_after": list(os.getloadavg()),
        "rows": [
            {"method": r.method, "seconds": r.seconds, "timing": r.timing} for r in (plain, gbm)
        ],
    }


def print_speed(block: dict[str, Any]) -> None:
    rows = block["rows"]
    b, g = rows[0]["timing"], rows[1]["timing"]
    ratio = g["wall_best"] / b["wall_best"]
    print(
        f"| {block['dataset']} | {block['n_rows']['training']} | {b['wall_best']:.3f} | "
        f"{g['wall_best']:.3f} | {ratio:.2f} | {g['wall_median'] / b['wall_median']:.2f} | "
        f"{g['cpu_best'] / b['cpu_best']:.2f} | {'PASS' if ratio <= MAX_RATIO else 'FAIL'} | "
        + " ".join(f"{x:.1f}" for x in block["load_average_after"])
        + " |"
    )


def print_dataset(block: dict[str, Any]) -> None:
    print(f"\n## {block['dataset']} (protected: {', '.join(block['protected'])})\n")
    print(
        "| method | fit s | / LightGBM | HV | best BA @eo<=.05 | best BA @eo<=.10 | "
        "chosen on validation: test BA / eo (rule) |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in block["rows"]:
        chosen = row["chosen"]
        picked = (
            "-"
            if chosen is None
            else f"{chosen['test_balanced_accuracy']:.3f} / {chosen['test_eo']:.3f} "
            f"({chosen['by']})"
        )
        star = " *" if row["needs_protected_at_prediction"] else ""
        print(
            f"| {row['method']}{star} | {row['seconds']:.2f} | {row['ratio_to_lightgbm']:.1f} | "
            f"{row['hypervolume']:.4f} | {_fmt(row['best_ba_eo_0.05'])} | "
            f"{_fmt(row['best_ba_eo_0.10'])} | {picked} |"
        )
    ref = block["group_thresholds_reference"]
    pts = "; ".join(
        f"eo<={p['bound']:g}: {p['test_balanced_accuracy']:.3f} / {p['test_eo']:.3f}"
        + ("" if p["meets_bound_on_validation"] else " (bound not met on validation)")
        for p in ref["points"]
    )
    print(
        f"| group thresholds (reference) * | {ref['seconds']:.2f} | | "
        f"{ref['hypervolume']:.4f} | | | {pts} |"
    )
    fairfront_rows = [r for r in block["rows"] if r["family"] == "fairfront"]
    peers = [r for r in block["rows"] if r["family"] != "fairfront"]
    best_ff = max(fairfront_rows, key=lambda r: r["hypervolume"])
    best_peer = max(peers, key=lambda r: r["hypervolume"])
    verdict = "PASS" if best_ff["hypervolume"] > best_peer["hypervolume"] else "FAIL"
    print(
        f"\nlargest HV: {best_ff['method']} {best_ff['hypervolume']:.4f} vs best "
        f"peer {best_peer['method']} {best_peer['hypervolume']:.4f}: {verdict}"
    )
    gbm = next(r for r in block["rows"] if r["method"] == "fairfront fair_gbm")
    lgbm = next(r for r in block["rows"] if r["method"] == "LightGBM")
    g, b = gbm["timing"], lgbm["timing"]
    ratio = g["wall_best"] / b["wall_best"]
    print(
        f"fair_gbm fit / plain LightGBM ({TREES} trees each, one thread each, best of "
        f"{g['repeats']} after a warm-up): wall {ratio:.2f} "
        f"({g['wall_best']:.3f} s / {b['wall_best']:.3f} s; "
        f"{'PASS' if ratio <= MAX_RATIO else 'FAIL'} against <= {MAX_RATIO:g}); "
        f"median wall {g['wall_median'] / b['wall_median']:.2f}; "
        f"CPU {g['cpu_best'] / b['cpu_best']:.2f} "
        f"({g['cpu_best']:.3f} s / {b['cpu_best']:.3f} s); load average after "
        + " ".join(f"{x:.1f}" for x in block["load_average_after"])
    )
    if block["dataset"] == "adult":
        ba = gbm["best_ba_eo_0.05"]
        print(
            f"Adult fair_gbm best test BA at eo <= 0.05: {_fmt(ba)} "
            f"({'PASS' if ba is not None and ba >= 0.79 else 'FAIL'} against >= 0.79)"
        )
    print("* needs the protected attributes at prediction time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--eg-max-iter", type=int, default=EG_MAX_ITER)
    parser.add_argument(
        "--repeats",
        type=int,
        default=REPEATS,
        help="timed fits (after a warm-up) of plain LightGBM and fair_gbm (default %(default)s)",
    )
    parser.add_argument(
        "--only-speed",
        action="store_true",
        help="only the speed criterion: plain LightGBM against fair_gbm, no scoring of peers",
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    print(
        f"fairfront {fairfront.__version__}, Python {platform.python_version()}, "
        f"scikit-learn {sklearn.__version__}, LightGBM {lightgbm.__version__}, "
        f"moocore {moocore.__version__}; {os.cpu_count()} CPUs, load average before: "
        + " ".join(f"{x:.1f}" for x in os.getloadavg())
    )
    started = time.perf_counter()
    blocks = []
    if args.only_speed:
        print(
            f"\nfair_gbm against plain LightGBM, {TREES} trees each, one thread each; best "
            f"(and median) of {args.repeats} fits after a warm-up\n\n"
            "| data | training rows | LightGBM s | fair_gbm s | ratio (best wall) | "
            "ratio (median wall) | ratio (best CPU) | <= 3 | load average after |\n"
            "|---|---|---|---|---|---|---|---|---|"
        )
    for name in args.datasets:
        if args.only_speed:
            block = run_speed(name, args.repeats)
            print_speed(block)
        else:
            block = run_dataset(name, args.eg_max_iter, args.repeats)
            print_dataset(block)
        blocks.append(block)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(blocks, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
