"""Every comparison case, as plain data: the tables of this package and the seed projects' cases.

A new case is one entry in a table here (models, components, extremes, optimizers, initializers,
perceptron, negative controls, expressions) or in a project module (comparisons/projects/).
"""

from __future__ import annotations

from functools import cache

from comparisons.cases.attention import CASES as ATTENTION_CASES
from comparisons.cases.attention import NEGATIVE_CONTROLS as ATTENTION_CONTROLS
from comparisons.cases.components import COMPONENT_CASES
from comparisons.cases.convolution import CASES as CONVOLUTION_CASES
from comparisons.cases.convolution import NEGATIVE_CONTROLS as CONVOLUTION_CONTROLS
from comparisons.cases.expressions import EXPRESSION_CASES
from comparisons.cases.extremes import EXTREME_CASES
from comparisons.cases.initializers import INITIALIZER_CASES
from comparisons.cases.models import CASES as MODEL_CASES
from comparisons.cases.negative_controls import NEGATIVE_CONTROL_CASES
from comparisons.cases.normalization import CASES as NORMALIZATION_CASES
from comparisons.cases.normalization import NEGATIVE_CONTROLS as NORMALIZATION_CONTROLS
from comparisons.cases.optimizers import OPTIMIZER_CASES
from comparisons.cases.perceptron import PERCEPTRON_CASES
from comparisons.cases.pooling import CASES as POOLING_CASES
from comparisons.cases.pooling import NEGATIVE_CONTROLS as POOLING_CONTROLS
from comparisons.cases.recurrent import CASES as RECURRENT_CASES
from comparisons.cases.recurrent import NEGATIVE_CONTROLS as RECURRENT_CONTROLS
from comparisons.core.case import Case
from comparisons.projects import project_cases


@cache
def all_cases() -> tuple[Case, ...]:
    """Model, component, optimizer, training, negative-control, initializer, perceptron and expression
    cases, then the projects' cases of other kinds."""
    projects = project_cases()
    training = tuple(case for case in projects if case.kind == "training")
    # project cases of other kinds (landscapes, seed 07's single pass) run with their kind's driver
    others = tuple(case for case in projects if case.kind != "training")
    return (*MODEL_CASES, *COMPONENT_CASES, *POOLING_CASES, *CONVOLUTION_CASES, *NORMALIZATION_CASES,
            *RECURRENT_CASES, *ATTENTION_CASES, *OPTIMIZER_CASES, *EXTREME_CASES,
            *training, *NEGATIVE_CONTROL_CASES,
            *POOLING_CONTROLS, *CONVOLUTION_CONTROLS, *NORMALIZATION_CONTROLS, *RECURRENT_CONTROLS,
            *ATTENTION_CONTROLS, *INITIALIZER_CASES,
            *PERCEPTRON_CASES, *EXPRESSION_CASES, *others)


def case_by_id(case_id: str) -> Case:
    """The case with this id, or a KeyError listing the known ids."""
    cases = all_cases()
    for case in cases:
        if case.id == case_id:
            return case
    raise KeyError(f"unknown case id {case_id!r}; known: {', '.join(c.id for c in cases)}")
