"""Network definitions, kept apart from the ganhub adapters (DESIGN rule 5); see README.md."""
