"""Training-trajectory cases: the seed projects (comparisons/projects/), free-running and teacher-forced."""

from __future__ import annotations

from comparisons.projects import project_cases

TRAINING_CASES = tuple(case for case in project_cases() if case.kind == "training")
