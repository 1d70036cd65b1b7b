"""``RemovableHandle`` (what ``register_*_hook`` returns), importable from here as in torch."""
from ..nn.modules._hooks import RemovableHandle

__all__ = ['RemovableHandle']
