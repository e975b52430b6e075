"""``python -m ganhub``: the same CLI as the ``ganhub`` command."""

from ganhub.cli import main

main()
