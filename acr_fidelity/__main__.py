import sys

from acr_fidelity.cli import main

sys.exit(main())
