"""``python -m kb.cli``: the ``kb`` command, as the console script runs it."""

from kb.cli import main

main()
