"""Reference models: the same components built from each framework's own layers, losses, optimizers."""
