"""`python -m kiemtra`: the same command line as the `kiemtra` script."""

from kiemtra.cli import main

main()
