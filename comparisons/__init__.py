"""nn-parity harness: cases as data, one adapter per implementation, the agreement rule, reports."""

FRAMEWORKS = ("torch", "tensorflow")
DTYPES = ("float32", "float64")
