"""What keeps a fully cached run short changes no byte of the report: rows cross from an xdist worker as
JSON text only when JSON gives every value back as it was, and the CSV writer's fast path formats each
cell as the per-cell rule does (docs/architecture.md §9)."""

from __future__ import annotations

import math

import numpy as np

from comparisons.harness.speed import pack_rows, unpack_rows
from comparisons.report.files import _format, csv_text

PLAIN_ROW = {"case": "c", "step": 3, "max_abs_err": 1.5e-08, "ratio": math.nan, "zero": -0.0,
             "big": 2**70, "inf": math.inf, "ok": True, "hint": None, "unicode": "µ 'x', \"y\""}


def test_plain_rows_cross_as_json_and_come_back_the_same():
    sent = pack_rows([PLAIN_ROW], [{"step": 0, "loss_scratch": 0.1}])
    assert isinstance(sent, str)
    rows, trajectories = unpack_rows(sent)
    (row,) = rows
    assert list(row) == list(PLAIN_ROW) and math.isnan(row.pop("ratio"))
    assert {k: (v, type(v)) for k, v in row.items()} == {k: (v, type(v)) for k, v in PLAIN_ROW.items()
                                                         if k != "ratio"}
    assert math.copysign(1, row["zero"]) == -1 and trajectories == [{"step": 0, "loss_scratch": 0.1}]


def test_a_row_json_would_change_crosses_as_it_is():
    rows = [{"case": "c", "shape": (2, 3)}]  # JSON would give back a list
    sent = pack_rows(rows, [])
    assert not isinstance(sent, str) and unpack_rows(sent) == (rows, [])


def test_the_csv_fast_path_writes_what_the_per_cell_rule_writes():
    values = ["a,b", 'q"uote', "", None, 0, -7, 2**70, True, False, 0.1, -0.0, 1e300, math.nan, math.inf,
              np.float64(0.1), np.float64("nan"), np.float32(0.5), np.int64(4), np.bool_(True), (2, 3)]
    columns = tuple(f"c{i}" for i in range(len(values)))
    text = csv_text([dict(zip(columns, values, strict=True)), {}], columns)
    expected = [",".join(columns),
                ",".join(f'"{v}"' if "," in v else f'"{v.replace(chr(34), 2 * chr(34))}"' if '"' in v else v
                         for v in map(_format, values)), "," * (len(columns) - 1)]
    assert text == "\n".join(expected) + "\n"


def test_the_plots_digest_reads_every_field_but_the_timing_column(tmp_path):
    from comparisons.report.files import AGREEMENT_COLUMNS, TIMING_COLUMNS, untimed

    assert AGREEMENT_COLUMNS[-1] == TIMING_COLUMNS[-1]  # the fast path's premise: timing comes last

    def written(reason: str, elapsed: float, status: str = "passed") -> bytes:
        path = tmp_path / "agreement.csv"
        path.write_text(csv_text([{"case": "c", "status": status, "reason": reason, "elapsed_s": elapsed},
                                  {"case": "d", "status": "failed", "reason": "", "elapsed_s": 0.5}],
                                 ("case", "status", "reason", "elapsed_s")))
        return untimed(path)

    spanning = 'a reason, over\ntwo lines, "quoted",1.5'  # a field that spans lines and ends like a time
    assert written(spanning, 1.25) == written(spanning, 7.0)
    assert written(spanning, 1.25) != written(spanning.replace("1.5", "2.5"), 1.25)
    assert written(spanning, 1.25) != written(spanning, 1.25, status="failed")
    assert written("plain", 1.25) == b"case,status,reason\nc,passed,plain\nd,failed,\n"
