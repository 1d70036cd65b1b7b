"""A per-epoch progress bar: tqdm when it is installed, a small plain fallback otherwise.

tqdm is an optional extra (``pip install 'numtorch[progress]'``). The fallback redraws one line
on stderr with ``\\r`` at most ten times a second, and stays silent when stderr is not a terminal
(a log file would otherwise collect every redraw); the per-epoch summary goes to stdout anyway.
"""
import sys
import time

try:
    from tqdm import tqdm as _tqdm
except ImportError:   # optional dependency
    _tqdm = None


class _PlainBar:
    """Iterate ``iterable`` and redraw ``desc [#####.....] i/total rate it/s`` on ``stream``."""

    def __init__(self, iterable, total, desc, stream, width=30):
        self.iterable, self.total, self.desc = iterable, total, desc
        self.stream, self.width = stream, width
        self.postfix = ''

    def set_postfix_str(self, s):
        self.postfix = s

    def _draw(self, i, start, final=False):
        elapsed = max(time.perf_counter() - start, 1e-9)
        total = self.total or i or 1
        fill = min(self.width, self.width * i // total)
        line = (f'\r{self.desc} [{"#" * fill}{"." * (self.width - fill)}] {i}/{self.total or "?"}'
                f' {i / elapsed:.1f} it/s {self.postfix}')
        self.stream.write(line.ljust(79) + ('\r' if final else ''))
        self.stream.flush()

    def __iter__(self):
        start = last = time.perf_counter()
        i = 0
        try:
            for i, item in enumerate(self.iterable, 1):
                yield item
                now = time.perf_counter()
                if now - last >= 0.1:
                    last = now
                    self._draw(i, start)
        finally:
            # Clear the bar, as tqdm(leave=False) does, so the epoch summary starts a clean line.
            self.stream.write('\r' + ' ' * 79 + '\r')
            self.stream.flush()


def progress(iterable, total=None, desc='', enable=True, stream=None):
    """Wrap ``iterable`` in a progress bar (tqdm if importable, else a plain one).

    ``enable=False`` (or a plain bar on a non-terminal stream) returns ``iterable`` unchanged.

    >>> list(progress(range(3), enable=False))
    [0, 1, 2]
    """
    stream = sys.stderr if stream is None else stream
    if not enable:
        return iterable
    if _tqdm is not None:
        return _tqdm(iterable, total=total, desc=desc, leave=False, file=stream,
                     unit='batch', dynamic_ncols=True)
    if not getattr(stream, 'isatty', lambda: False)():
        return iterable
    return _PlainBar(iterable, total, desc, stream)
