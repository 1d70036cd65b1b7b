"""``numtorch.backends.opt_einsum``: einsum contraction-order switches (numtorch's ``einsum``
is NumPy's, which picks its own order); stored for scripts that set them."""
enabled = True
strategy = 'auto'


def is_available():
    """Whether the ``opt_einsum`` package is importable."""
    import importlib.util
    return importlib.util.find_spec('opt_einsum') is not None


def get_opt_einsum():
    """The ``opt_einsum`` module if installed, else None."""
    try:
        import opt_einsum
    except ImportError:
        return None
    return opt_einsum
