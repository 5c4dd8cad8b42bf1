"""Markdown views of the benchmark rows (reports/benchmarks.md), drawn from the CSV rows alone."""

from __future__ import annotations

import statistics

RUN_LABELS = {("scratch", "eager"): "scratch", ("torch", "eager"): "torch",
              ("tensorflow", "eager"): "tf eager", ("tensorflow", "function"): "tf.function",
              ("jax", "eager"): "jax eager", ("jax", "jit"): "jax.jit"}


def _ms(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds * 1e3:.3g}"


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _table(header: list[str], lines: list[list[str]]) -> str:
    rows = [header, ["---"] * len(header), *lines]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in rows)


def grid_table(rows: list[dict]) -> str:
    """Per network, dtype, threads, batch: median step per run (ms), scratch/torch, matmul share, memory."""
    grid = [r for r in rows if r["study"] == "grid"]
    groups: dict[tuple, dict] = {}
    for row in grid:
        key = (row["network"], row["dtype"], row["threads"], row["batch"])
        groups.setdefault(key, {})[(row["implementation"], row["mode"])] = row
    header = ["network", "dtype", "threads", "batch", *(f"{label} ms" for label in RUN_LABELS.values()),
              "scratch/torch", "matmul share", "scratch step MiB", "peak RSS MiB scratch / torch / tf / jax"]
    lines = []
    for (network, dtype, threads, batch), runs in sorted(groups.items()):
        scratch, torch = runs.get(("scratch", "eager")), runs.get(("torch", "eager"))
        ratio = scratch["median_s"] / torch["median_s"] if scratch and torch else None
        rss = [runs.get(run, {}).get("peak_rss_mib") for run in (("scratch", "eager"), ("torch", "eager"),
                                                                  ("tensorflow", "eager"), ("jax", "eager"))]
        lines.append([network, dtype, str(threads), str(batch),
                      *(_ms(runs.get(run, {}).get("median_s")) for run in RUN_LABELS),
                      _num(ratio), _num(scratch and scratch.get("matmul_fraction")),
                      _num(scratch and scratch.get("step_alloc_mib"), 1),
                      " / ".join(_num(v, 0) for v in rss)])
    return _table(header, lines)


def cnn_table(rows: list[dict], study: str = "cnn") -> str:
    """Per CNN and batch: median step (ms) of scratch, torch, tf.function; scratch/torch; the conv and
    Dense GEMMs' share of the scratch step; im2col columns held; scratch's step allocation; peak RSS.
    Study 'sequence' (the LSTMs): the same without the GEMM share and im2col columns."""
    groups: dict[tuple, dict] = {}
    for row in (r for r in rows if r["study"] == study):
        groups.setdefault((row["network"], row["dtype"], row["threads"], row["batch"]),
                          {})[(row["implementation"], row["mode"])] = row
    runs = (("scratch", "eager"), ("torch", "eager"), ("tensorflow", "function"))
    header = ["network", "dtype", "threads", "batch", *(f"{RUN_LABELS[run]} ms" for run in runs),
              "scratch/torch", "GEMM share", "im2col MiB", "scratch step MiB",
              "peak RSS MiB scratch / torch / tf"]
    convolutional = study == "cnn"
    lines = []
    for (network, dtype, threads, batch), found in sorted(groups.items()):
        scratch, torch = found.get(runs[0]), found.get(runs[1])
        lines.append([network, dtype, str(threads), str(batch),
                      *(_ms(found.get(run, {}).get("median_s")) for run in runs),
                      _num(scratch["median_s"] / torch["median_s"] if scratch and torch else None),
                      _num(scratch and scratch.get("matmul_fraction")),
                      _num(scratch and scratch.get("im2col_mib"), 2),
                      _num(scratch and scratch.get("step_alloc_mib"), 1),
                      " / ".join(_num(found.get(run, {}).get("peak_rss_mib"), 0) for run in runs)])
    if not convolutional:  # an LSTM's products are not replayed (only its Dense's) and it has no im2col
        lines = [line[:-4] + line[-2:] for line in lines]
        header = header[:-4] + header[-2:]
    return _table(header, lines)


def scaling_table(rows: list[dict], study: str, varied: str) -> str:
    """Median step (ms) per run as the batch or width doubles, and each doubling's time factor."""
    picked = sorted((r for r in rows if r["study"] == study),
                    key=lambda r: (r["batch"] if varied == "batch" else int(r["network"].split("-")[2])))
    by_size: dict[int, dict] = {}
    for row in picked:
        size = row["batch"] if varied == "batch" else int(row["network"].split("-")[2])
        by_size.setdefault(size, {})[row["implementation"]] = row["median_s"]
    names = sorted({r["implementation"] for r in picked}, key=lambda n: n != "scratch")
    header = [varied, *(f"{n} ms" for n in names), *(f"{n} x per doubling" for n in names)]
    lines, previous = [], None
    for size, times in by_size.items():
        growth = [(_num(times[n] / previous[n]) if previous and n in previous and n in times else "")
                  for n in names]
        lines.append([str(size), *(_ms(times.get(n)) for n in names), *growth])
        previous = times
    return _table(header, lines)


def harness_table(make_runs: list[dict], cost_rows: list[dict]) -> str:
    """`make report` wall times, and per case kind x framework: harness time against raw compute."""
    parts = []
    if make_runs:
        parts.append(_table(["command", "wall s", "exit status", "load avg"],
                            [[r["command"], f"{r['wall_s']:.1f}", str(r["exit_status"]), str(r["load_avg"])]
                             for r in make_runs]))
    if cost_rows:
        groups: dict[tuple, list[dict]] = {}
        for row in cost_rows:
            groups.setdefault((row["kind"], row["framework"]), []).append(row)
        lines = []
        for (kind, framework), group in sorted(groups.items()):
            harness = sum(r["rerun_total_s"] for r in group)
            raw = sum(r["raw_compute_s"] for r in group)
            overheads = [r["overhead_fraction"] for r in group if r["overhead_fraction"] is not None]
            within = sum(o <= 0.2 for o in overheads)
            lines.append([kind, framework, str(len(group)), f"{harness:.2f}", f"{raw:.2f}",
                          f"{harness / raw - 1:.0%}" if raw else "",
                          f"{statistics.median(overheads):.0%}" if overheads else "",
                          f"{within}/{len(overheads)}"])
        parts.append(_table(["kind", "framework", "groups", "harness s", "raw compute s", "overhead (sum)",
                             "median overhead", "groups <= 20%"], lines))
    return "\n\n".join(parts)


def markdown(rows: list[dict], machine: dict, settings: dict, make_runs: list[dict],
             cost_rows: list[dict]) -> str:
    """reports/benchmarks.md: machine and settings, the grid, the scaling tables, the harness cost."""
    described = ", ".join(f"{k} {v}" for k, v in machine.items())
    parts = ["# Benchmarks", "", f"Machine: {described}.", "",
             "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()) + ".", "",
             "## Training step (median of the timed blocks)", "",
             "`scratch/torch` < 1 means scratch is faster; the matmul share is the time of the scratch "
             "step's matrix products alone (NumPy, same shapes) over the whole scratch step.", "",
             grid_table(rows)]
    if any(r["study"] == "cnn" for r in rows):
        parts += ["", "## CNN training step (float32; the GEMM share counts the convolutions' im2col GEMMs "
                  "and the Dense products)", "", cnn_table(rows)]
    if any(r["study"] == "sequence" for r in rows):
        parts += ["", "## LSTM training step (float32, MSE on the next value; lstm-series is the time_series "
                  "project's LSTM)", "", cnn_table(rows, "sequence")]
    if any(r["study"] == "scaling_batch" for r in rows):
        parts += ["", "## How cost grows: batch doubling (784-256-128-10, float32)", "",
                  scaling_table(rows, "scaling_batch", "batch")]
    if any(r["study"] == "scaling_width" for r in rows):
        parts += ["", "## How cost grows: width doubling (784-w-w/2-10, batch 128, float32)", "",
                  scaling_table(rows, "scaling_width", "width")]
    if make_runs or cost_rows:
        parts += ["", "## Harness cost", "", harness_table(make_runs, cost_rows)]
    return "\n".join(parts) + "\n"
