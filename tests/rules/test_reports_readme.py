"""reports/README.md documents every column, key, status and quantity, and its pandas example runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from comparisons.core.tolerances import QUANTITY_KIND
from comparisons.report import files as report
from comparisons.report.files import AGREEMENT_COLUMNS, STATUSES, SUMMARY_COLUMNS, environment
from tests.harness.test_summary_md import write_synthetic_reports

README = Path(__file__).resolve().parents[2] / "reports" / "README.md"
# Keys the pytest plugin adds to environment.json besides report.environment()'s.
PLUGIN_ENVIRONMENT_KEYS = ("command", "workers", "partial", "seed_offset", "full", "implementation")


def documented(text: str, section: str) -> list[str]:
    """The `names` in the first column of the tables under '## <section>' (up to the next '## ')."""
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    if match is None:
        raise AssertionError(f"reports/README.md has no section '## {section}'")
    return re.findall(r"^\| `([^`]+)` \|", match.group(1), flags=re.M)


def undocumented(text: str, section: str, names) -> tuple[list[str], list[str]]:
    """(names missing from the section, names the section documents that do not exist)."""
    listed = documented(text, section)
    return [n for n in names if n not in listed], [n for n in listed if n not in names]


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.mark.parametrize(("section", "names"), [
    ("agreement.csv", AGREEMENT_COLUMNS),
    ("summary.csv", SUMMARY_COLUMNS),
    ("trajectories.csv", getattr(report, "TRAJECTORY_COLUMNS", None)),
    ("known_differences.csv", getattr(report, "KNOWN_DIFFERENCE_COLUMNS", None)),
    ("environment.json", (*environment([]), *PLUGIN_ENVIRONMENT_KEYS)),
    ("Status values", STATUSES),
    ("Quantity values", tuple(QUANTITY_KIND)),
])
def test_every_name_is_documented_and_nothing_else(readme, section, names):
    if names is None:
        pytest.skip(f"{section} is not written by this version of comparisons/report/files.py")
    missing, stale = undocumented(readme, section, names)
    assert not missing, f"reports/README.md, section '{section}', does not document {missing}"
    assert not stale, f"reports/README.md, section '{section}', documents {stale}, which do not exist"


def test_the_checker_notices_a_column_that_is_not_documented(readme):
    before = undocumented(readme, "agreement.csv", AGREEMENT_COLUMNS)
    without = readme.replace("| `err_ratio` |", "| err ratio |")
    assert undocumented(without, "agreement.csv", AGREEMENT_COLUMNS)[0] == [*before[0], "err_ratio"]
    extra = readme.replace("## summary.csv\n", "## summary.csv\n\n| `bogus` | x |\n")
    assert "bogus" in undocumented(extra, "summary.csv", SUMMARY_COLUMNS)[1]


def test_activation_and_grad_activation_are_explained(readme):
    for phrase in ("a layer's forward output", "what that layer's backward returns",
                   "dL/d(layer `i`'s input)", "names the layer whose backward is wrong", "dL/dlogits"):
        assert phrase in readme


def test_row_order_and_timing_columns_are_described(readme):
    assert "`suite, case, framework, dtype, seed, step, order`" in readme
    for column in report.TIMING_COLUMNS:
        assert f"`{column}`" in readme.split("## What is deterministic")[1].split("## ")[0]


def test_the_pandas_example_runs_on_real_report_files(readme, tmp_path, monkeypatch, capsys):
    code = re.search(r"```python\n(.*?)```", readme, flags=re.S).group(1)
    write_synthetic_reports(tmp_path / "reports")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "reports/README.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert (namespace["agreement"]["reason"] == "").any(), "empty text cells read as ''"
    assert namespace["agreement"]["err_ratio"].isna().any(), "empty numeric cells read as NaN"
    assert "dense_relu" in capsys.readouterr().out
