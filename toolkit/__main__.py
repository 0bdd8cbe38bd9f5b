"""``python -m toolkit`` is ``expact``."""

from toolkit.cli import main

raise SystemExit(main())
