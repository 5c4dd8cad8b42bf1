"""nn-parity harness: cases as data, one adapter per implementation, the agreement rule, reports."""

FRAMEWORKS = ("torch", "tensorflow")  # the frameworks every layer/loss/optimizer case runs on
ALL_FRAMEWORKS = (*FRAMEWORKS, "sklearn")  # every reference, also those of a few cases (the perceptron)
DTYPES = ("float32", "float64")
