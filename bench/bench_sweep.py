"""A sweep's settings fitted one after another, in local processes, and on a local Dask
cluster: seconds, the ratio to one-after-another in the same process, and whether every
way gives the same union front (points, flags and selection).

    python bench/bench_sweep.py [--data compas] [--learner mmm_fair] [--rounds 100]
        [--sweep fairness_weight=0.25,0.5,1,2,4,8] [--workers 2]

Each way runs the same code path the service runs (``fairfront.runs.train_part`` per
setting, then ``combine_parts``); the service adds only the event stream around it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "backend"), str(REPO)]

from app._train_multitask import parse_sweep  # noqa: E402
from fairfront.runs import RunSpec, combine_parts, parts, train, train_part  # noqa: E402


def _front(run: Any) -> str:
    return json.dumps(run.front.model_dump(mode="json")["points"], sort_keys=True)


def _local(spec: RunSpec, workers: int) -> Any:
    count = parts(spec)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        fitted = list(pool.map(train_part, [spec] * count, range(count)))
    return combine_parts(spec, fitted)


def _dask(spec: RunSpec, workers: int) -> tuple[Any, float]:
    from distributed import Client, LocalCluster

    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        startup = time.perf_counter() - started
        futures = [client.submit(train_part, spec, i, pure=False) for i in range(parts(spec))]
        return combine_parts(spec, client.gather(futures)), startup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="compas")
    parser.add_argument("--learner", default="mmm_fair")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--sweep", action="append", default=None)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sweep = parse_sweep(args.sweep or ["fairness_weight=0.25,0.5,1,2,4,8"])
    spec = RunSpec(
        data=args.data, learner=args.learner, rounds=args.rounds, sweep=sweep, baseline=False
    )
    print(
        f"{args.data}, {args.learner}, {args.rounds} rounds, {parts(spec)} settings "
        f"({', '.join(f'{k}={v}' for k, v in sweep.items())}), {args.workers} workers, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
    )
    train_part(spec, 0)  # warm: imports and the dataset cache, outside every timing

    started = time.perf_counter()
    sequential = train(spec)
    base = time.perf_counter() - started

    started = time.perf_counter()
    local = _local(spec, args.workers)
    local_s = time.perf_counter() - started

    started = time.perf_counter()
    dask, startup = _dask(spec, args.workers)
    dask_s = time.perf_counter() - started - startup

    expected = _front(sequential)
    print(f"{'way':<28}{'seconds':>9}{'ratio':>8}  same front")
    print(f"{'one after another':<28}{base:>9.2f}{1.0:>8.2f}  -")
    print(
        f"{'local processes':<28}{local_s:>9.2f}{local_s / base:>8.2f}  {_front(local) == expected}"
    )
    print(
        f"{'Dask LocalCluster':<28}{dask_s:>9.2f}{dask_s / base:>8.2f}  "
        f"{_front(dask) == expected}   (cluster start {startup:.1f} s, not counted)"
    )
    print(
        f"selected: round {sequential.selected_round} "
        f"({sequential.selection.setting}); {len(sequential.front.points)} points, "
        f"{len(sequential.front.front_rounds)} on the union front"
    )


if __name__ == "__main__":
    main()
