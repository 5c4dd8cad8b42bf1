"""Sequence layers (embedding, recurrent) from each framework's own modules, one module per framework."""
