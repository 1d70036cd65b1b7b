import os
import sys

# Tests import the in-tree package even without `pip install -e .`.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.dirname(__file__))
