"""Helpers the tests share: backends on random loopback ports, run helpers, the schema checker and
the Godot runner. Fixtures built on them live in tests/conftest.py."""
