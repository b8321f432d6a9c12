"""What the routers call: datasets, runs (jobs), selection, explanation, export, chat."""
