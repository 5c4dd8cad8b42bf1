"""One module per case kind (pass, optimizer, training, initializer, perceptron, landscape); dispatch.py
picks the runner of a case's kind. Each runner takes a core.rows.CaseRun and returns a CaseOutcome."""
