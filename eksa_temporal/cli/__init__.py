"""The ``eksa-temporal`` command line: thin click commands that parse arguments, call the
library, print, and exit with a documented code (0 ok, 1 findings/failure, 2 usage)."""
