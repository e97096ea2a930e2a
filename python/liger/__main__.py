"""`python -m liger` is the `liger` command."""

from .cli import main

raise SystemExit(main())
