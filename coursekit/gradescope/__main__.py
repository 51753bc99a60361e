"""`python -m coursekit.gradescope [ROOT]`: what an exported autograder's run_autograder calls."""

import sys

from coursekit.gradescope.run import main

sys.exit(main())
