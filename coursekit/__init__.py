"""coursekit: author, release, self-check, validate and grade notebook assignments."""

from coursekit.selfcheck import data_path
from coursekit.selfcheck_view import check

__all__ = ["check", "data_path"]
__version__ = "0.1.0"
