"""``python -m ganhub.selfcheck``: see :mod:`ganhub.selfcheck`."""

import sys

from ganhub.selfcheck.cli import main

sys.exit(main())
