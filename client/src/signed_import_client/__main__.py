"""`python -m signed_import_client` runs the `signed-import` command."""

import sys

from .cli import main

sys.exit(main())
