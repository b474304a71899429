"""Application services: load aggregates, run one command, save its events atomically."""
