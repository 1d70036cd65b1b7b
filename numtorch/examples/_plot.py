"""D2L-style training curves (train loss, train acc, test acc against epoch) as an image file.

matplotlib is an optional extra (``pip install 'numtorch[plot]'``): ``have_matplotlib()`` lets
the command check before it trains, so a missing package never costs a training run.
"""


def have_matplotlib():
    """True when matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


MISSING = ("--plot needs matplotlib, which is not installed: "
           "pip install matplotlib (or pip install -e '.[plot]')")


def plot_curves(history, path, title=None):
    """Write D2L's Animator figure for ``history`` to ``path``.

    ``history`` has ``'train'``: ``[(epoch_float, loss, acc), ...]`` (several points per epoch,
    as D2L's ``train_ch6`` adds them) and ``'test'``: ``[(epoch, test_acc), ...]``.
    """
    import matplotlib
    matplotlib.use('Agg')   # files only; never needs a display
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    if history['train']:
        x, loss, acc = zip(*history['train'])
        ax.plot(x, loss, '-', label='train loss')
        ax.plot(x, acc, 'm--', label='train acc')
    if history['test']:
        x, acc = zip(*history['test'])
        ax.plot(x, acc, 'g-.', label='test acc')
    last = max([p[0] for p in history['train']] + [p[0] for p in history['test']] + [1])
    ax.set_xlim(1 if last > 1 else 0, last)
    ax.set_xlabel('epoch')
    ax.grid(True)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
