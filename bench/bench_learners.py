"""Fit time and test figures of fairfront's fair boosting learners on Adult.

Everything runs in one process on the packaged Adult data (train: adult.data, test:
adult.test), with the dataset's preprocessor fitted once on train (a sparse matrix):

* scikit-learn ``AdaBoostClassifier`` with stumps, 200 rounds, vs ``AdaFairClassifier``
  (200 rounds) with sex protected (female is the protected group);
* scikit-learn AdaBoost with depth-2 trees, 300 rounds, vs ``MMMFairClassifier(300
  rounds, depth 2, notions eo + dp)`` with sex, race and age protected (the defaults);
* scikit-learn AdaBoost with depth-2 trees, 300 rounds, vs the default
  ``MMMFairClassifier`` (depth 2, notion eo, automatic fairness weight).

Each fairfront model is fitted with each ``--tree-methods`` (default both: ``hist``,
the histogram trees grown on the data binned once, and ``exact``, scikit-learn's exact
trees); the AdaBoost baselines are fitted once per model.

For each model: wall fit time, its ratio to the AdaBoost baseline with the same trees
and rounds and to the published reference time, the per-round overhead beyond the weak
learner (from ``fit_seconds_``) and the test figures at the selected round; then hist
against exact side by side (time, selected round, the best front round with test eo
<= 0.05).

    python bench/bench_learners.py [--seeds N] [--tree-methods hist exact] [--json PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier

import fairfront
from fairfront.datasets import Dataset, load_dataset
from fairfront.learners import AdaFairClassifier, MMMFairClassifier
from fairfront.metrics import evaluate, evaluate_many

log = logging.getLogger("bench_learners")

NOTIONS = ("eo", "eo_sum", "dp")
OVERHEAD_TARGET = 0.25
EO_BOUND = 0.05
BAR_BALANCED_ACCURACY = 0.79  # the foundation bar: at test eo <= EO_BOUND

# Published reference times (the public code of each method on Adult).
ADAFAIR_REF_SECONDS = 40.0  # AdaFair's public code, 200 stumps
ADAFAIR_REF_ROUNDS = 200
MMM_REF_SECONDS = (155.0, 206.0)  # mmm-fair 2.4.1, 200 and 250 rounds
MMM_REF_ROUNDS = (200, 250)
# The ratio for MMM-Fair is taken against the fastest published time, 155 s for 200
# rounds: our runs do 300 rounds, so the ratio is unfavourable to fairfront.
MMM_REF_USED = 155.0

# Published test figures on Adult (AdaFair paper): accuracy, balanced accuracy, eo_sum.
ADAFAIR_PAPER = {"accuracy": 0.813, "balanced_accuracy": 0.803, "eo_sum": 0.121}
ADABOOST_PAPER = {"accuracy": 0.853, "balanced_accuracy": 0.767, "eo_sum": 0.195}


@dataclass
class Data:
    """Preprocessed Adult: one sparse matrix per split, labels and protected groups."""

    X: Any
    y: np.ndarray
    X_test: Any
    y_test: np.ndarray
    sensitive_all: pd.DataFrame
    sensitive_all_test: pd.DataFrame
    sensitive_sex: pd.DataFrame
    sensitive_sex_test: pd.DataFrame
    preprocess_seconds: float


@dataclass
class Run:
    """One fit of one model: time, rounds and test figures at the chosen round."""

    seed: int | None
    fit_seconds: float
    weak_seconds: float | None
    loop_seconds: float | None
    n_rounds: int
    selected_round: int
    test: dict[str, float]
    front: dict[str, Any] = field(default_factory=dict)

    @property
    def overhead(self) -> float | None:
        if self.weak_seconds is None or self.loop_seconds is None or self.weak_seconds <= 0:
            return None
        return (self.loop_seconds - self.weak_seconds) / self.weak_seconds


@dataclass
class Case:
    """A fairfront learner, its AdaBoost baseline and the published reference."""

    name: str
    baseline_name: str
    protected: str
    reference_seconds: float
    reference_text: str
    baseline: Run | None = None
    runs: list[Run] = field(default_factory=list)
    model: str = ""
    """The model without the tree method (cases of one model share a baseline)."""
    tree_method: str = ""


def load_data() -> Data:
    """Load Adult twice (defaults; sex alone) and preprocess the features once."""
    full = load_dataset("adult")
    sex = load_dataset("adult", protected=["sex"])
    _check_same_rows(full, sex)
    assert full.X_test is not None and full.y_test is not None
    assert full.sensitive_test is not None
    assert sex.sensitive_test is not None
    tick = time.perf_counter()
    pre = full.preprocessor()
    X = pre.fit_transform(full.X)
    X_test = pre.transform(full.X_test)
    seconds = time.perf_counter() - tick
    log.info("preprocessed: train %s, test %s (%s)", X.shape, X_test.shape, type(X).__name__)
    return Data(
        X=X,
        y=full.y,
        X_test=X_test,
        y_test=full.y_test,
        sensitive_all=full.sensitive,
        sensitive_all_test=full.sensitive_test,
        sensitive_sex=sex.sensitive,
        sensitive_sex_test=sex.sensitive_test,
        preprocess_seconds=seconds,
    )


def _check_same_rows(a: Dataset, b: Dataset) -> None:
    if not (a.X.equals(b.X) and np.array_equal(a.y, b.y)):
        raise RuntimeError("Adult loaded with different protected attributes has other rows")


def test_figures(y: np.ndarray, pred: np.ndarray, sensitive: pd.DataFrame) -> dict[str, float]:
    """Accuracy, balanced accuracy and each notion's worst violation over attributes."""
    report = evaluate(y, pred, sensitive_features=sensitive, notions=NOTIONS, intersectional=False)
    out = {
        "accuracy": report.overall["accuracy"],
        "balanced_accuracy": report.overall["balanced_accuracy"],
    }
    for notion in NOTIONS:
        out[notion] = float(report.violation(notion))
    return out


def fit_baseline(data: Data, depth: int, rounds: int, sensitive_test: pd.DataFrame) -> Run:
    model = AdaBoostClassifier(
        DecisionTreeClassifier(max_depth=depth), n_estimators=rounds, random_state=0
    )
    tick = time.perf_counter()
    model.fit(data.X, data.y)
    seconds = time.perf_counter() - tick
    pred = model.predict(data.X_test)
    n = len(model.estimators_)
    return Run(None, seconds, None, None, n, n, test_figures(data.y_test, pred, sensitive_test))


def fit_fairfront(
    make: Callable[[int], Any],
    seed: int,
    data: Data,
    sensitive: pd.DataFrame,
    sensitive_test: pd.DataFrame,
    front: bool,
) -> Run:
    model = make(seed)
    tick = time.perf_counter()
    model.fit(data.X, data.y, sensitive_features=sensitive)
    seconds = time.perf_counter() - tick
    pred = model.predict(data.X_test)
    run = Run(
        seed=seed,
        fit_seconds=seconds,
        weak_seconds=model.fit_seconds_["weak_learners"],
        loop_seconds=model.fit_seconds_["total"],
        n_rounds=model.n_estimators_,
        selected_round=model.selected_round_,
        test=test_figures(data.y_test, pred, sensitive_test),
    )
    if front:
        run.front = front_figures(model, data.X_test, data.y_test, sensitive_test)
    return run


def front_figures(
    model: Any, X_test: Any, y_test: np.ndarray, sensitive_test: pd.DataFrame
) -> dict[str, Any]:
    """Test figures of the front's rounds: the best balanced accuracy with eo <= bound."""
    staged = model.staged_positive_matrix(X_test)
    metrics = evaluate_many(y_test, staged, sensitive_features=sensitive_test, notions=NOTIONS)
    eo = metrics.worst("eo")
    bal = metrics.overall["balanced_accuracy"]
    front = np.asarray(model.front_rounds_, dtype=np.intp) - 1
    ok = front[eo[front] <= EO_BOUND]
    out: dict[str, Any] = {"front_size": int(front.size), "front_eo_ok": int(ok.size)}
    if ok.size:
        best = int(ok[np.argmax(bal[ok])])
        out["best"] = {
            "round": best + 1,
            "accuracy": float(metrics.overall["accuracy"][best]),
            "balanced_accuracy": float(bal[best]),
            "eo": float(eo[best]),
            "dp": float(metrics.worst("dp")[best]),
        }
    return out


# ----- tables ------------------------------------------------------------------------


def _mean_spread(values: Sequence[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    return f"{format(mean, fmt)} ± {format(sd, fmt)}"


def source_fingerprint() -> str:
    """Short sha256 of fairfront's learner and metrics sources (other engineers edit them)."""
    root = Path(fairfront.__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("learners/*.py"), *root.glob("metrics/*.py")]):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _cell(values: Sequence[float | None], fmt: str) -> str:
    kept = [float(v) for v in values if v is not None]
    return _mean_spread(kept, fmt) if kept else "-"


def timing_rows(cases: Sequence[Case]) -> list[list[str]]:
    rows = []
    shown: set[int] = set()
    for case in cases:
        assert case.baseline is not None
        base = case.baseline.fit_seconds
        if id(case.baseline) not in shown:
            shown.add(id(case.baseline))
            rows.append(
                [
                    case.baseline_name,
                    f"{base:.2f}",
                    "1.00",
                    "-",
                    "-",
                    "-",
                    "-",
                    str(case.baseline.n_rounds),
                ]
            )
        runs = case.runs
        rows.append(
            [
                case.name,
                _cell([r.fit_seconds for r in runs], ".2f"),
                _cell([r.fit_seconds / base for r in runs], ".2f"),
                _cell([r.fit_seconds / case.reference_seconds for r in runs], ".3f"),
                _cell([r.weak_seconds for r in runs], ".2f"),
                _cell([r.loop_seconds for r in runs], ".2f"),
                _cell([None if r.overhead is None else 100 * r.overhead for r in runs], ".1f"),
                _cell([r.n_rounds for r in runs], ".0f"),
            ]
        )
    return rows


def metric_rows(cases: Sequence[Case]) -> list[list[str]]:
    rows = []
    shown: set[int] = set()
    for case in cases:
        assert case.baseline is not None
        for name, runs in ((case.baseline_name, [case.baseline]), (case.name, case.runs)):
            if runs[0] is case.baseline:
                if id(case.baseline) in shown:
                    continue
                shown.add(id(case.baseline))
            rows.append(
                [
                    name,
                    case.protected,
                    _cell([r.selected_round for r in runs], ".0f"),
                    *(
                        _cell([r.test[k] for r in runs], ".3f")
                        for k in ("accuracy", "balanced_accuracy", "eo", "eo_sum", "dp")
                    ),
                ]
            )
    return rows


def print_report(data: Data, cases: Sequence[Case], seeds: int) -> None:
    print(
        f"\nAdult: train {data.X.shape[0]} x {data.X.shape[1]} (sparse), "
        f"test {data.X_test.shape[0]} rows; preprocessing {data.preprocess_seconds:.2f} s; "
        f"fairfront seeds 0..{seeds - 1}" + (" (cells: mean ± sample std)" if seeds > 1 else "")
    )
    print(
        f"python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs; "
        f"fairfront learners+metrics source sha256 {source_fingerprint()}\n"
    )
    print("FIT TIME (wall seconds around fit)")
    print(
        table(
            [
                "model",
                "fit s",
                "/AdaBoost",
                "/published",
                "weak s",
                "loop s",
                "overhead %",
                "rounds",
            ],
            timing_rows(cases),
        )
    )
    print(
        "  /AdaBoost: fit time over scikit-learn AdaBoost's with the same trees and rounds\n"
        "    (AdaBoost fits on all training rows; fairfront holds out 20% for validation).\n"
        f"  /published: fit time over the published time of the reference code: AdaFair "
        f"public code {ADAFAIR_REF_SECONDS:.0f} s ({ADAFAIR_REF_ROUNDS} stumps);\n"
        f"    mmm-fair 2.4.1 {MMM_REF_SECONDS[0]:.0f}-{MMM_REF_SECONDS[1]:.0f} s "
        f"({MMM_REF_ROUNDS[0]}-{MMM_REF_ROUNDS[1]} rounds), compared against "
        f"{MMM_REF_USED:.0f} s (its fastest, at 200 rounds; ours run 300).\n"
        "  weak s: weak-learner fit + predict on training rows; loop s: the boosting loop;\n"
        "  overhead % = (loop - weak) / weak, target < "
        f"{OVERHEAD_TARGET:.0%}.\n"
    )
    for case in cases:
        overheads = [r.overhead for r in case.runs if r.overhead is not None]
        worst = max(overheads) if overheads else float("nan")
        verdict = "PASS" if worst < OVERHEAD_TARGET else "FAIL"
        print(
            f"  overhead target < {OVERHEAD_TARGET:.0%}: {case.name}: worst "
            f"{worst:.1%} -> {verdict}"
        )

    print("\nTEST FIGURES (adult.test, model at its selected round)")
    print(
        table(
            ["model", "protected", "round", "accuracy", "bal. acc.", "eo (max)", "eo_sum", "dp"],
            metric_rows(cases),
        )
    )
    print(
        "  eo (max): equalized odds, max(TPR gap, FPR gap), worst over attributes "
        "(Fairlearn convention)\n"
        "  eo_sum:   TPR gap + TNR gap, worst over attributes (AdaFair convention)\n"
        "  dp:       selection-rate gap, worst over attributes\n"
    )
    for ada in [c for c in cases if c.protected == "sex"][:1]:
        print("PUBLISHED FIGURES (AdaFair paper, Adult, sex) next to ours")
        assert ada.baseline is not None
        rows = []
        for name, paper, runs in (
            ("AdaBoost", ADABOOST_PAPER, [ada.baseline]),
            (f"AdaFair [{ada.tree_method}]", ADAFAIR_PAPER, ada.runs),
        ):
            for key in ("accuracy", "balanced_accuracy", "eo_sum"):
                cell = _cell([r.test[key] for r in runs], ".3f")
                rows.append([name, key, f"{paper[key]:.3f}", cell])
        print(table(["model", "metric", "published", "fairfront bench"], rows))

    for case in cases:
        if not any(r.front for r in case.runs):
            continue
        print(
            f"\nFRONT ({case.name}): best test balanced accuracy among front rounds with "
            f"test eo <= {EO_BOUND}, and the selected round\n"
            "  front: rounds on the validation front; eo ok: of those, how many have test "
            f"eo <= {EO_BOUND}"
        )
        rows = []
        for r in case.runs:
            best = r.front.get("best")
            rows.append(
                [
                    str(r.seed),
                    str(r.front["front_size"]),
                    str(r.front["front_eo_ok"]),
                    *(
                        ["-"] * 5
                        if best is None
                        else [
                            str(best["round"]),
                            f"{best['accuracy']:.3f}",
                            f"{best['balanced_accuracy']:.3f}",
                            f"{best['eo']:.3f}",
                            f"{best['dp']:.3f}",
                        ]
                    ),
                    str(r.selected_round),
                    f"{r.test['accuracy']:.3f}",
                    f"{r.test['balanced_accuracy']:.3f}",
                    f"{r.test['eo']:.3f}",
                    f"{r.test['dp']:.3f}",
                ]
            )
        print(
            table(
                [
                    "seed",
                    "front",
                    "eo ok",
                    "best: round",
                    "acc",
                    "bal acc",
                    "eo",
                    "dp",
                    "selected: round",
                    "acc",
                    "bal acc",
                    "eo",
                    "dp",
                ],
                rows,
            )
        )


def print_tree_methods(cases: Sequence[Case]) -> None:
    """Each model's tree methods side by side: time, selected round, best front round."""
    methods = list(dict.fromkeys(c.tree_method for c in cases))
    if len(methods) < 2:
        return
    print(
        f"\nHIST vs EXACT (same model, seeds and validation splits; mean ± sd over seeds)\n"
        f"  best front: the front round with the best test balanced accuracy among those with "
        f"test eo <= {EO_BOUND};\n  bar: seeds whose best front round has test balanced "
        f"accuracy >= {BAR_BALANCED_ACCURACY} (front models only)"
    )
    rows = []
    for case in cases:
        runs = case.runs
        best = [r.front.get("best") for r in runs if r.front]
        found = [b for b in best if b is not None]
        rows.append(
            [
                case.model,
                case.tree_method,
                _cell([r.fit_seconds for r in runs], ".2f"),
                _cell([r.test["balanced_accuracy"] for r in runs], ".3f"),
                _cell([r.test["eo"] for r in runs], ".3f"),
                f"{len(found)}/{len(best)}" if best else "-",
                _cell([b["balanced_accuracy"] for b in found], ".3f") if found else "-",
                _cell([b["eo"] for b in found], ".3f") if found else "-",
                (
                    f"{sum(b['balanced_accuracy'] >= BAR_BALANCED_ACCURACY for b in found)}"
                    f"/{len(best)}"
                    if best
                    else "-"
                ),
            ]
        )
    print(
        table(
            [
                "model",
                "trees",
                "fit s",
                "selected: bal acc",
                "eo",
                "front eo ok",
                "best front: bal acc",
                "eo",
                "bar",
            ],
            rows,
        )
    )


def to_json(data: Data, cases: Sequence[Case], seeds: int) -> dict[str, Any]:
    def run_dict(r: Run, base: float | None, ref: float | None) -> dict[str, Any]:
        return {
            "seed": r.seed,
            "fit_seconds": r.fit_seconds,
            "ratio_to_adaboost": None if base is None else r.fit_seconds / base,
            "ratio_to_published": None if ref is None else r.fit_seconds / ref,
            "weak_learner_seconds": r.weak_seconds,
            "loop_seconds": r.loop_seconds,
            "overhead": r.overhead,
            "n_rounds": r.n_rounds,
            "selected_round": r.selected_round,
            "test": r.test,
            "front": r.front or None,
        }

    out: dict[str, Any] = {
        "dataset": "adult",
        "train_shape": list(data.X.shape),
        "test_rows": int(data.X_test.shape[0]),
        "preprocess_seconds": data.preprocess_seconds,
        "seeds": seeds,
        "cpus": os.cpu_count(),
        "source_sha256": source_fingerprint(),
        "versions": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "overhead_target": OVERHEAD_TARGET,
        "published": {
            "adafair_seconds": ADAFAIR_REF_SECONDS,
            "mmm_fair_seconds": list(MMM_REF_SECONDS),
            "mmm_fair_rounds": list(MMM_REF_ROUNDS),
            "mmm_fair_seconds_compared": MMM_REF_USED,
            "adafair_test": ADAFAIR_PAPER,
            "adaboost_test": ADABOOST_PAPER,
        },
        "cases": [],
    }
    for case in cases:
        assert case.baseline is not None
        base = case.baseline.fit_seconds
        out["cases"].append(
            {
                "name": case.name,
                "protected": case.protected,
                "reference_seconds": case.reference_seconds,
                "reference": case.reference_text,
                "baseline": {"name": case.baseline_name, **run_dict(case.baseline, None, None)},
                "runs": [run_dict(r, base, case.reference_seconds) for r in case.runs],
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="fit each fairfront model with seeds 0..N-1 (default 1)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here")
    parser.add_argument(
        "--skip-default-mmm",
        action="store_true",
        help="leave out the default MMMFairClassifier (depth 2, eo) and its baseline",
    )
    parser.add_argument(
        "--tree-methods",
        nargs="+",
        default=["hist", "exact"],
        choices=["hist", "exact"],
        help="the learners' tree_method values to fit (default both)",
    )
    parser.add_argument(
        "--max-bins",
        type=int,
        default=None,
        help="the learners' max_bins (default: theirs); used by tree_method='hist' only",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["adafair", "mmm_eo_dp", "mmm_default"],
        default=None,
        help="fit only these models (default all)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be >= 1")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(message)s",
    )

    data = load_data()
    max_bins: int = (
        MMMFairClassifier().get_params()["max_bins"] if args.max_bins is None else args.max_bins
    )
    models: list[tuple[str, str, str, float, str, int, int, Callable[[int, str], Any]]] = [
        (
            "AdaFair (200 stumps)",
            "AdaBoost (200 stumps)",
            "sex",
            ADAFAIR_REF_SECONDS,
            "AdaFair public code, 200 stumps",
            1,
            200,
            lambda s, m: AdaFairClassifier(
                n_estimators=200, tree_method=m, random_state=s, max_bins=max_bins
            ),
        ),
        (
            "MMM-Fair (300, depth 2, eo+dp)",
            "AdaBoost (300, depth 2)",
            "sex+race+age",
            MMM_REF_USED,
            "mmm-fair 2.4.1, 200 rounds (fastest of 155-206 s)",
            2,
            300,
            lambda s, m: MMMFairClassifier(
                n_estimators=300,
                max_depth=2,
                notions=["eo", "dp"],
                tree_method=m,
                random_state=s,
                max_bins=max_bins,
            ),
        ),
    ]
    if not args.skip_default_mmm:
        models.append(
            (
                "MMM-Fair default (300, depth 2, eo)",
                "AdaBoost (300, depth 2), refit",
                "sex+race+age",
                MMM_REF_USED,
                "mmm-fair 2.4.1, 200 rounds (fastest of 155-206 s)",
                2,
                300,
                lambda s, m: MMMFairClassifier(tree_method=m, random_state=s, max_bins=max_bins),
            )
        )

    keys = ["adafair", "mmm_eo_dp", "mmm_default"][: len(models)]
    if args.only is not None:
        models = [m for k, m in zip(keys, models, strict=True) if k in args.only]
    cases: list[Case] = []
    for name, baseline_name, protected, ref, ref_text, depth, rounds, make in models:
        sex_only = protected == "sex"
        sens = data.sensitive_sex if sex_only else data.sensitive_all
        sens_test = data.sensitive_sex_test if sex_only else data.sensitive_all_test
        log.info("fitting %s", baseline_name)
        baseline = fit_baseline(data, depth, rounds, sens_test)
        for method in args.tree_methods:
            case = Case(
                f"{name} [{method}]", baseline_name, protected, ref, ref_text,
                baseline=baseline, model=name, tree_method=method,
            )
            for seed in range(args.seeds):
                log.info("fitting %s, seed %d", case.name, seed)
                case.runs.append(
                    fit_fairfront(
                        lambda s, m=method, f=make: f(s, m),  # type: ignore[misc]
                        seed, data, sens, sens_test, front=not sex_only,
                    )
                )
            cases.append(case)

    print_report(data, cases, args.seeds)
    print_tree_methods(cases)
    if args.json is not None:
        args.json.write_text(json.dumps(to_json(data, cases, args.seeds), indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
