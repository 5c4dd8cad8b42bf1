"""A negative control counts as caught only where it was expected to diverge."""

import pytest

from comparisons.report.files import control_verdict, summarize


def rows_for(statuses: list[tuple[str, str, str]], expected: str) -> list[dict]:
    base = {"case": "neg_x", "suite": "negative_control", "component": "c", "framework": "torch",
            "dtype": "float64", "seed": 0, "step": 0, "err_ratio": 2.0, "expected_divergence": expected}
    return [{**base, "order": i, "quantity": q, "tensor": t, "status": s}
            for i, (q, t, s) in enumerate(statuses)]


@pytest.mark.parametrize(("statuses", "verdict"), [
    ([("activation", "0.dense", "passed"), ("grad_activation", "1.relu", "failed")], "caught"),
    ([("activation", "0.dense", "failed"), ("grad_activation", "1.relu", "failed")], "misplaced"),
    ([("activation", "0.dense", "passed"), ("grad_activation", "1.relu", "passed")], "missed"),
    ([("output", "", "skipped")], "skipped"),  # the framework cannot run it: nothing to catch
    ([("output", "", "skipped"), ("grad_activation", "1.relu", "passed")], "missed"),
])
def test_verdict_follows_the_first_divergence(statuses, verdict):
    summary = summarize(rows_for(statuses, "grad_activation '1.relu'"))
    assert summary[0]["control_verdict"] == verdict


def test_ordinary_cases_have_no_verdict():
    assert control_verdict({"expected_divergence": "", "first_divergence_quantity": "loss"}) == ""
