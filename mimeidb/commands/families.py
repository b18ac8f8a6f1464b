"""Importing this module registers every command family in the table."""
from mimeidb.commands import strings  # noqa: F401
from mimeidb.commands import bits  # noqa: F401
from mimeidb.commands import lists  # noqa: F401
from mimeidb.commands import hashes  # noqa: F401
from mimeidb.commands import sets  # noqa: F401
from mimeidb.commands import zsets  # noqa: F401
from mimeidb.commands import keys  # noqa: F401
from mimeidb.commands import scripting  # noqa: F401  (EVAL, SCRIPT, FUNCTION, FCALL)
from mimeidb.commands import serialize  # noqa: F401
from mimeidb.commands import streams  # noqa: F401
from mimeidb.commands import geo  # noqa: F401
from mimeidb.commands import hyperloglog  # noqa: F401
