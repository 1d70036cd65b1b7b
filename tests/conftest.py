import os
import sys

# Tests import the in-tree package even without `pip install -e .`.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.dirname(__file__))

import pytest  # noqa: E402


@pytest.fixture
def cuda():
    """The strict stand-in device plays ``cuda`` for one test (numtorch.testing.stand_in)."""
    from numtorch.testing import stand_in
    with stand_in.enabled() as backend:
        yield backend
