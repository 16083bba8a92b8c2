"""``python -m benchmarks.data_parallel [--quick]``: data-parallel training on simulated
CPU devices: collectives in each compiled training step, and epoch time on 1 and 2 devices.

Two figures for the seed question's model (encoder-decoder LSTM, 40 steps in, 10 out):

- *collectives a step*: the all-reduces (all-gathers, ...) the compiled training step
  executes, counted in its HLO: instructions inside a ``while`` loop count once per
  iteration (its known trip count). Keras' own ``DataParallel`` step against
  seqshape's (``seqshape.distribution.reduce_once_per_step``).
- *scaling*: the median epoch time with ``distribution=None`` (one device) and
  ``"data_parallel"`` on 2 devices, same global batch; efficiency is
  ``t1 / (2 * t2)``. Simulated CPU devices share this machine's cores, so on CPU this
  measures the overhead of distribution, not a speed-up; on a GPU machine pass
  ``--real-devices`` to use its devices as they are.
- *processes* (``--processes``): the median epoch time of one process against two
  processes on this machine joined by JAX's distributed runtime on 127.0.0.1 (one CPU
  device each, gloo collectives), same global batch. On a shared CPU machine this
  measures the cost of the cross-process all-reduce and of feeding each share, not a
  speed-up.

Each configuration runs in its own process (the device count is fixed when JAX starts).
Writes ``benchmarks/results/data-parallel-*.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

COLLECTIVE = re.compile(
    r"\s(all-reduce|all-gather|reduce-scatter|collective-permute|all-to-all)(-start)?\("
)
_HEADER = re.compile(r"^(?:ENTRY )?%?([\w.\-]+) .*\{$")
_WHILE = re.compile(r"\swhile\(.*body=%([\w.\-]+)")
_TRIPS = re.compile(r'known_trip_count":\{"n":"(\d+)"')
_CALLS = re.compile(r"(?:calls=|to_apply=|branch_computations=\{)%([\w.\-]+)")


def collectives(hlo: str) -> dict[str, int]:
    """``{"instructions": ..., "per_step": ...}`` for a compiled module's text.

    Example:
        >>> text = '''ENTRY %main (p: f32[2]) -> f32[2] {
        ...   %w = (s32[]) while(%t), body=%b, config={"known_trip_count":{"n":"40"}}
        ...   %r = f32[2] all-reduce(%p), to_apply=%add
        ... }
        ... %b (q: f32[2]) -> f32[2] {
        ...   %s = f32[2] all-reduce(%q), to_apply=%add
        ... }'''
        >>> collectives(text)
        {'instructions': 2, 'per_step': 41}
    """
    computations: dict[str, list[str]] = {}
    entry, current = None, None
    for line in hlo.splitlines():
        header = _HEADER.match(line)
        if header and not line.startswith(" "):
            current = header.group(1)
            computations[current] = []
            entry = current if line.startswith("ENTRY") else entry
        elif current is not None:
            computations[current].append(line)

    def count(name: str, times: int, seen: frozenset) -> tuple[int, int]:
        instructions = executed = 0
        for line in computations.get(name, []):
            if COLLECTIVE.search(line):
                instructions, executed = instructions + 1, executed + times
            callees = [(callee, 1) for callee in _CALLS.findall(line)]
            loop = _WHILE.search(line)
            if loop:  # its body runs once per iteration
                trips = _TRIPS.search(line)
                callees.append((loop.group(1), int(trips.group(1)) if trips else 1))
            for callee, trips in callees:
                if callee not in seen:
                    inner = count(callee, times * trips, seen | {callee})
                    instructions, executed = instructions + inner[0], executed + inner[1]
        return instructions, executed

    instructions, executed = count(entry, 1, frozenset({entry}))
    return {"instructions": instructions, "per_step": executed}


def _workload(samples: int):
    from seqshape.datasets import coupled_series

    return coupled_series(n_samples=samples)


def step_collectives(fixed: bool, batch: int = 64) -> dict[str, int]:
    """Collectives a training step of the seed model on every device JAX sees."""
    import jax
    import keras
    from keras.src.backend.jax.trainer import _distribute_data

    from seqshape.builders import ArchitectureOptions, build_model, infer_spec
    from seqshape.distribution import plan_devices, reduce_once_per_step, training_scope

    X, y = _workload(batch)
    X, y = X.astype("float32"), y.astype("float32")
    plan = plan_devices("data_parallel", None)
    with training_scope(plan) as distribution:
        model = build_model(infer_spec(X, y), ArchitectureOptions(units=(32,)))
        model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
        if fixed:
            reduce_once_per_step(model, distribution)
        model.fit(X, y, batch_size=batch, epochs=1, verbose=0)  # builds the optimizer
        state = (
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in model.optimizer.variables],
            [v.value for v in model.metrics_variables],
        )
        step = jax.jit(
            model.train_step,
            donate_argnums=0,
            out_shardings=(None, model._get_state_sharding_spec()),
        )
        compiled = step.lower(state, _distribute_data((X, y))).compile()
    return collectives(compiled.as_text())


def epoch_seconds(distribution: str | None, samples: int, epochs: int) -> dict:
    import warnings

    import seqshape

    X, y = _workload(samples)
    model = seqshape.SequenceRegressor(
        epochs=epochs, batch_size=64, distribution=distribution, validation="none"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    times = model.history_["epoch_seconds"][1:]  # after the compiling epoch
    return {"median_epoch_s": statistics.median(times), "loss": model.history_["loss"]}


def _child(args: argparse.Namespace) -> int:
    """Run one measurement in this process and print it as JSON."""
    import seqshape  # noqa: F401  (before Keras: the JAX backend)

    if args.child == "collectives":
        result = {
            "keras": step_collectives(fixed=False),
            "seqshape": step_collectives(fixed=True),
        }
    else:
        distribution = None if args.child == "one" else "data_parallel"
        result = epoch_seconds(distribution, args.samples, args.epochs)
    print(json.dumps(result))
    return 0


def run_child(kind: str, devices: int | None, samples: int, epochs: int) -> dict:
    env = dict(os.environ)
    if devices is not None:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    command = [sys.executable, "-m", "benchmarks.data_parallel", "--child", kind]
    command += ["--samples", str(samples), "--epochs", str(epochs)]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True, timeout=3600
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_processes(count: int, samples: int, epochs: int) -> dict:
    """Process 0's measurement of a data-parallel fit over ``count`` local processes."""
    env = dict(os.environ, XLA_FLAGS="")
    env["KERAS_DISTRIBUTION_JOB_ADDRESSES"] = f"127.0.0.1:{_free_port()}"
    env["KERAS_DISTRIBUTION_NUM_PROCESSES"] = str(count)
    command = [sys.executable, "-m", "benchmarks.data_parallel", "--child", "two"]
    command += ["--samples", str(samples), "--epochs", str(epochs)]
    processes = [
        subprocess.Popen(
            command,
            env={**env, "KERAS_DISTRIBUTION_PROCESS_ID": str(index)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(count)
    ]
    try:
        outputs = [process.communicate(timeout=3600) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_, stderr) in zip(processes, outputs, strict=True):
        if process.returncode:
            raise RuntimeError(stderr[-3000:])
    return json.loads(outputs[0][0].strip().splitlines()[-1])


def _write(results: dict, prefix: Path) -> int:
    """Write ``results`` to ``{prefix}-{time}.json`` and say where."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    path = prefix.parent / f"{prefix.name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"written to {path}")
    return 0


def compare_processes(args: argparse.Namespace) -> int:
    one = run_child("one", None, args.samples, args.epochs)
    two = run_processes(2, args.samples, args.epochs)
    ratio = one["median_epoch_s"] / two["median_epoch_s"]
    results = {
        "setting": "1 process (1 CPU device) against 2 processes on 127.0.0.1 (1 CPU device "
        f"each), same global batch 64, {os.cpu_count()} CPU cores",
        "samples": args.samples,
        "epochs": args.epochs,
        "one_process": one,
        "two_processes": two,
        "speedup": ratio,
        "efficiency": ratio / 2,
    }
    print(
        f"median epoch: 1 process {one['median_epoch_s']:.3f} s, 2 processes "
        f"{two['median_epoch_s']:.3f} s: speed-up {ratio:.2f}x, efficiency {ratio / 2:.0%}"
    )
    return _write(results, args.out / "data-parallel-processes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.data_parallel")
    parser.add_argument("--quick", action="store_true", help="fewer samples and epochs")
    parser.add_argument("--real-devices", action="store_true", help="no simulated devices")
    parser.add_argument(
        "--processes", action="store_true", help="1 process against 2 local processes"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    args.samples = args.samples or (512 if args.quick else 2048)
    args.epochs = args.epochs or (3 if args.quick else 6)
    if args.child:
        return _child(args)
    if args.processes:
        return compare_processes(args)
    devices = None if args.real_devices else 2
    results = {"devices": "real" if args.real_devices else "2 simulated CPU devices"}
    results["collectives"] = run_child("collectives", devices, args.samples, args.epochs)
    rounds = [
        {kind: run_child(kind, devices, args.samples, args.epochs) for kind in ("one", "two")}
        for _ in range(1 if args.quick else 2)
    ]
    one = statistics.median(r["one"]["median_epoch_s"] for r in rounds)
    two = statistics.median(r["two"]["median_epoch_s"] for r in rounds)
    results.update(
        samples=args.samples,
        epochs=args.epochs,
        rounds=rounds,
        one_device_epoch_s=one,
        two_devices_epoch_s=two,
        speedup=one / two,
        efficiency=one / (2 * two),
    )
    counts = results["collectives"]
    print(
        f"collectives a training step: Keras DataParallel {counts['keras']['per_step']} "
        f"({counts['keras']['instructions']} instructions), seqshape "
        f"{counts['seqshape']['per_step']} ({counts['seqshape']['instructions']})"
    )
    print(
        f"median epoch: 1 device {one:.3f} s, 2 devices {two:.3f} s: speed-up "
        f"{one / two:.2f}x, efficiency {one / (2 * two):.0%}"
    )
    return _write(results, args.out / "data-parallel")


if __name__ == "__main__":
    raise SystemExit(main())
