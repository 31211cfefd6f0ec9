import sys

from salesperf.cli import main

sys.exit(main())
