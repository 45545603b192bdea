"""`python -m posture` runs the command line, as the `posture` script does."""

from posture.cli import main

main()
