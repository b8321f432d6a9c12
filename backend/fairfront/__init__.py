"""fairfront: train, compare and export fair classifiers."""

__version__ = "0.1.0"
