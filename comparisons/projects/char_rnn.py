"""A character-level GRU on the Zen of Python, trained side by side, and text sampled from each
implementation at the same seed (docs/conventions.md §20).

The text ships with Python (comparisons/data/text.py: this.s decoded, lowercased; 856 characters, a
vocabulary of 32). Windows of 12 characters predict the next one (844 windows): Embedding(32x16) -
GRU(16->32, reset_after) - Dense(32, 32) - softmax with cross-entropy, mini-batch Adam with the digits
project's float32-exact hyperparameters, batch 64 in one shared shuffled order (14 steps per epoch).
Full runs 12 epochs (168 steps), short runs 1 epoch.

Samples: after training, each implementation continues the text's first 12 characters for 48
characters, each next character drawn from ITS OWN inference forward's probabilities (the harness's
adapters, through the reference cache, as projects.shared.common.evaluate) with the same uniform draws
(default_rng(seed + 2)): character = the first whose cumulative probability exceeds the draw. Equal
parameters give equal text; in a free run the implementations' parameters drift apart, and a sample parts
from scratch's at the first draw that falls between their cumulative probabilities.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from comparisons.adapters.cache import framework_adapter
from comparisons.data.batches import Batch
from comparisons.data.text import vocabulary, zen_of_python
from comparisons.projects.digits import ADAM
from comparisons.projects.shared.common import artifact_path, training_cases, write_table

NAME, STEPS, LENGTH = "char_rnn", 12, 48  # window, sampled characters (each a Keras eager GRU pass, ~0.1 s)
TITLE = "Zen of Python, 12 characters -> the next: Embedding(32x16)-GRU(32)-Dense(32)-softmax, Adam, batch 64"

CASES = training_cases(
    NAME, f"char-level GRU: {TITLE}",
    layers=({"type": "embedding", "vocab_size": 32, "embedding_dim": 16}, {"type": "gru", "units": 32},
            {"type": "dense", "units": 32}, {"type": "softmax"}),
    loss="categorical_crossentropy", data={"kind": "text", "shape": (STEPS,)}, seed=21,
    optimizer={"name": "adam", "hyper": ADAM}, batch_size=64, shuffle=True, epochs=12, test_epochs=1,
)


def sample(implementation: str, case, params: dict, dtype: str, start: np.ndarray,
           draws: np.ndarray) -> np.ndarray:
    """The ids that follow start: each drawn from the implementation's own inference forward on the last
    STEPS ids, the first id whose cumulative probability exceeds the draw."""
    spec = {**case.model_spec(), "training": False, "backward": False}
    ids = list(start)
    with framework_adapter(implementation, "sample", case, dtype, params, start, draws) as adapter:
        model = adapter.build(spec, {k: v.astype(dtype) for k, v in params.items()}, dtype)
        for draw in draws:
            window = Batch(np.array([ids[-STEPS:]], dtype=np.int64), np.zeros(1, np.int64), np.zeros((0,)))
            output = adapter.run_pass(model, spec, window.cast(dtype))["output"]["output"][0]
            cumulative = np.cumsum(np.asarray(output, dtype=np.float64))
            ids.append(int(min(np.searchsorted(cumulative, draw * cumulative[-1], side="right"),
                               len(cumulative) - 1)))
    return np.array(ids[len(start):], dtype=np.int64)


def sample_rows(case, framework: str, dtype: str, outcome) -> list[dict]:
    """One row per side: its sample, and how many of its first characters equal scratch's."""
    text = zen_of_python()
    chars = vocabulary(text)
    start = np.array([chars.index(c) for c in text[:STEPS]], dtype=np.int64)
    draws = np.random.default_rng(case.seed + 2).random(LENGTH)
    final = outcome.extras["final"]
    samples = {side: sample(who, case, final[side], dtype, start, draws)
               for side, who in (("scratch", outcome.implementation), ("framework", framework))}
    parted = np.flatnonzero(samples["scratch"] != samples["framework"])
    agree = int(parted[0]) if len(parted) else LENGTH
    return [{"side": side, "implementation": who, "seed_text": text[:STEPS],
             "sample": "".join(chars[i] for i in samples[side]), "agrees_with_scratch": agree}
            for side, who in (("scratch", "scratch"), ("framework", framework))]


def artifacts(case, framework: str, dtype: str, outcome, report_dir: Path) -> None:
    """curve.csv (every step) and samples.csv (each side's generated text)."""
    from comparisons.projects.shared.files import write_curve

    if not outcome.extras:  # a crash before training: nothing to draw
        return
    write_curve(case, framework, dtype, outcome, report_dir)
    write_table(artifact_path(report_dir, case, framework, dtype, "samples"),
                sample_rows(case, framework, dtype, outcome))


def _shown(text: str, width: int = 80) -> list[str]:
    """The text with newlines as '¶', in lines of width characters."""
    flat = text.replace("\n", "¶")
    return [flat[i:i + width] for i in range(0, len(flat), width)] or [""]


def _sample_lines(report_dir: Path) -> list[str]:
    """The chosen run's samples (free float64 first), then every run's agreement with scratch."""
    from comparisons.projects.shared.curves import chosen_runs, run_label
    from comparisons.projects.shared.files import find_artifacts, implementation_spec, label

    runs = chosen_runs(report_dir, f"proj_{NAME}_", "samples")
    if not runs:
        return []
    spec = implementation_spec(report_dir)
    lines = [f"samples ({run_label(runs)}) after the seed text '{_shown(runs[0].read()['seed_text'][0])[0]}'"
             f" (¶ = newline); scratch is trained beside each framework with that framework's conventions:"]
    for run in runs:
        table = run.read()
        lines += [f"  {spec} (beside {run.framework}): {_shown(str(table['sample'][0]))[0]}",
                  f"  {run.framework}: {_shown(str(table['sample'][1]))[0]}"
                  f"   [first {table['agrees_with_scratch'][1]} of {LENGTH} equal]"]
    every = find_artifacts(report_dir, f"proj_{NAME}_", "samples")
    lines.append(f"characters (of {LENGTH}) equal to scratch's sample before the first difference, each run:")
    for mode in dict.fromkeys(run.mode for run in every):
        lines.append(f"  {mode}: " + ", ".join(f"{label(run).removesuffix(' ' + mode)} "
                                               f"{run.read()['agrees_with_scratch'].iloc[1]}"
                                               for run in every if run.mode == mode))
    return lines


def plot(report_dir: Path) -> list[Path]:
    """char_rnn_samples.png: the loss curves, and the text each implementation generated."""
    from comparisons.projects.shared.curves import chosen_runs, draw_curves, run_label
    from comparisons.projects.shared.files import (
        fixed_layout,
        implementation_spec,
        pyplot,
        save_png,
        style_legend,
    )

    plt = pyplot()
    curves, lines = chosen_runs(report_dir, f"proj_{NAME}_"), _sample_lines(report_dir)
    if not curves and not lines:
        return []
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), gridspec_kw={"height_ratios": [1.6, 1]})
    if curves:
        draw_curves(top, curves)
        top.legend(fontsize=8)
    top.set_ylabel("cross-entropy of each mini-batch")
    top.set_title(f"loss per step ({run_label(curves)})", fontsize=9)
    bottom.axis("off")
    bottom.text(0.0, 1.0, "\n".join(lines), family="monospace", fontsize=7.5, va="top", ha="left",
                transform=bottom.transAxes)
    fig.suptitle(f"{TITLE}\n{style_legend(spec=implementation_spec(report_dir))}\nSamples: the same draws, "
                 "each implementation's own probabilities; in a free run the parameters drift apart and the "
                 "samples may part: that is information", fontsize=9)
    fixed_layout(fig, 0.8, 0.3, 1.0, 0.1, hspace=0.15)
    return [save_png(fig, Path(report_dir) / f"{NAME}_samples.png")]
