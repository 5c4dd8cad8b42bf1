"""The sequence projects: the LSTM forecast beside the dense one (time_series) and the character-level GRU
(char_rnn): their data, a 2-step torch run into tmp_path, the samples and the plots from those CSVs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from comparisons.data.text import char_windows, vocabulary, zen_of_python
from comparisons.data.training import training_set
from comparisons.kinds.dispatch import compare_case
from comparisons.projects import char_rnn, time_series


def test_the_zen_is_read_from_the_standard_library_without_printing(capsys):
    text = zen_of_python()
    assert text.startswith("the zen of python, by tim peters\n\nbeautiful is better than ugly.")
    assert (len(text), len(vocabulary(text))) == (856, 32) and capsys.readouterr().out == ""


def test_text_windows_are_int64_ids_followed_by_the_next_character():
    data = training_set(char_rnn.CASES[0].data, np.random.default_rng(0))
    x, y, text = data["x"], data["y"], zen_of_python()
    assert x.dtype == y.dtype == np.int64 and x.shape == (len(text) - char_rnn.STEPS, char_rnn.STEPS)
    chars = vocabulary(text)
    assert "".join(chars[i] for i in x[5]) + chars[y[5]] == text[5:5 + char_rnn.STEPS + 1]
    np.testing.assert_array_equal(x[1:, -1], y[:-1])
    assert char_windows("abcab", 2)["y"].tolist() == [2, 0, 1]


def test_the_lstm_reads_the_dense_networks_windows_as_sequences():
    dense, lstm = (case for case in time_series.CASES if case.id.endswith("_free"))
    assert "lstm" in lstm.id and lstm.options["optimizer"] == dense.options["optimizer"]
    # the series has its own generator: different parameter draws before it leave the windows alone
    first, second = (training_set(c.data, np.random.default_rng(seed)) for c, seed in ((dense, 1), (lstm, 2)))
    assert second["x"].shape == (312, time_series.WINDOW, 1)
    for key in ("x", "y", "x_val", "y_val"):
        np.testing.assert_array_equal(second[key].reshape(first[key].shape), first[key])


@pytest.fixture(scope="module")
def char_run(tmp_path_factory):
    pytest.importorskip("torch")
    report_dir = tmp_path_factory.mktemp("char_rnn")
    case = dataclasses.replace(char_rnn.CASES[0], options={**char_rnn.CASES[0].options, "epochs": 2})
    outcome = compare_case(case, "torch", "float64")
    assert not outcome.failures, outcome.failures
    char_rnn.artifacts(case, "torch", "float64", outcome, report_dir)
    return case, outcome, report_dir


def test_each_side_samples_from_its_own_forward_with_the_same_draws(char_run):
    case, outcome, report_dir = char_run
    table = pd.read_csv(report_dir / "projects" / f"{case.id}-torch-float64-samples.csv")
    assert table["implementation"].tolist() == ["scratch", "torch"]
    assert table["sample"].str.len().tolist() == [char_rnn.LENGTH] * 2
    # 28 steps apart by float64 rounding only: the same text
    assert table["sample"][0] == table["sample"][1] and table["agrees_with_scratch"][1] == char_rnn.LENGTH
    start, draws = np.arange(char_rnn.STEPS) % 32, np.random.default_rng(0).random(20)
    final = outcome.extras["final"]["scratch"]
    again = [char_rnn.sample("scratch", case, final, "float64", start, draws) for _ in range(2)]
    np.testing.assert_array_equal(*again)
    assert not np.array_equal(again[0], char_rnn.sample("scratch", case, final, "float64", start, 1 - draws))


def test_char_rnn_plots_its_curves_and_samples_from_the_csv_files(char_run, tmp_path):
    assert char_rnn.plot(tmp_path) == []
    [path] = char_rnn.plot(char_run[2])
    assert path.name == "char_rnn_samples.png"
    image = imread(path)
    assert image.shape[0] > 200 and image[..., :3].std() > 0.05
