"""``python -m ganhub.cli``: the same CLI as the ``ganhub`` command."""

from ganhub.cli.main import main

main()
