"""nn-parity harness: cases as data, one adapter per implementation, the agreement rule, reports.

Packages, in pipeline order: core (vocabulary), data, adapters, kinds (one runner per case kind),
cases (the case tables), report (files in and out), projects (seed projects), harness (the pytest
plugin), render (markdown, terminal, plots); cli.py is the nn-parity command.
"""
