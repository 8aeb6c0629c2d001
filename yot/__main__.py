import sys

from yot.cli import main

sys.exit(main())
