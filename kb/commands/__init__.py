"""One module per `kb` subcommand.

Each module defines `register(subparsers)`, which adds its parser and sets
`run=<function(args) -> int>` as a default, and optionally `ORDER` (its place
in `kb --help`). Importing a command module must stay cheap: heavy imports go
inside the run function.
"""
