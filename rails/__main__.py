import sys

from rails.cli import main

sys.exit(main())
