"""Network code for ganhub-painting (written for ganhub; see README.md for provenance)."""
