"""`python -m soak [--minutes M] [--days D] …`: see soak/run.py."""

import sys

from soak.run import main

sys.exit(main())
