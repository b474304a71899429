"""The version of the view tables' layout, readable without importing SQLAlchemy."""

# Raise when a view's columns change: views of another version are rebuilt on first use.
SCHEMA_VERSION = 5
