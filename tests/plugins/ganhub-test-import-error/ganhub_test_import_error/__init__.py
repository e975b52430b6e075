"""Test plugin that fails at import time, as a plugin with a missing dependency would."""

raise ImportError("ganhub_test_import_error needs the package 'definitely-not-installed'")
