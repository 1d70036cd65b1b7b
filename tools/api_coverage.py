"""How much of torch's public API numtorch has: a table for the README, the missing names for docs/.

    python tools/api_coverage.py            # print the README block
    python tools/api_coverage.py --write    # rewrite it in README.md and docs/coverage.md
    python tools/api_coverage.py --check    # exit 1 if either file is out of date

**Which names count** (``public_names``), per namespace (``NAMESPACES``):

1. the names in the module's ``__all__``, or in ``dir(module)`` where it has none;
   for ``torch.Tensor``, ``dir(torch.Tensor)``;
2. without a leading underscore, and not a module (``torch.nn.init`` is a namespace, not a name);
3. defined by torch: the object's ``__module__`` (an instance's: its type's) starts with
   ``torch`` -- this drops re-exports of ``typing``, ``math``, ``numpy`` and constants such as
   ``torch.pi`` (a plain float);
4. documented: the object has a docstring, or is a dtype, or is one of the C++-defined classes
   that torch's reference documents without a docstring (``DOCUMENTED_CLASSES``: ``Tensor``,
   ``Size``, ``device``, ``Generator``, the legacy ``FloatTensor``-style types, storages ...).
   This drops the undocumented in-place twins (``torch.abs_``), backend kernels (``cudnn_*``,
   ``miopen_*``, ``fbgemm_*``) and TorchScript's internal classes. ``Tensor`` methods and
   attributes all count (rule 4 is not applied to them).

numtorch has a name when ``hasattr`` finds it on the matching numtorch namespace (a namespace
numtorch lacks has none). Presence is not proof of full behaviour: the tests are.

The *not supported* list is generated too: each entry of ``FEATURES`` is probed by running
numtorch, and only the failing ones are listed.
"""
import argparse
import importlib
import os
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, 'README.md')
DOC = os.path.join(ROOT, 'docs', 'coverage.md')
BEGIN, END = '<!-- coverage -->', '<!-- /coverage -->'

NAMESPACES = ('torch', 'torch.Tensor', 'torch.nn', 'torch.nn.functional', 'torch.optim',
              'torch.utils.data', 'torch.autograd', 'torch.linalg', 'torch.fft', 'torch.special',
              'torch.distributions')

#: Classes defined in C++ (no ``__doc__``) that pytorch.org documents.
DOCUMENTED_CLASSES = frozenset(
    'Tensor Size device dtype finfo iinfo layout memory_format Generator TypedStorage '
    'UntypedStorage BoolTensor ByteTensor CharTensor ShortTensor IntTensor LongTensor '
    'FloatTensor DoubleTensor BoolStorage ByteStorage CharStorage ShortStorage IntStorage '
    'LongStorage FloatStorage DoubleStorage'.split())

#: Missing-name lists longer than this go to docs/coverage.md only.
README_LIST_MAX = 30


def _import(fullname, root):
    """Import ``fullname`` from ``root``'s own folder only: an editable install of another
    checkout can otherwise answer for a submodule this one lacks. None if absent."""
    try:
        mod = importlib.import_module(fullname)
    except ImportError:
        return None
    home = os.path.dirname(os.path.abspath(root.__file__))
    here = os.path.abspath(getattr(mod, '__file__', None) or '')
    return mod if here.startswith(home + os.sep) else None


def _resolve(name, root):
    """``torch.nn.functional`` -> that module of ``root`` (torch or numtorch); None if absent."""
    parts = name.split('.')
    obj = root
    for i, part in enumerate(parts[1:], 1):
        if part == 'Tensor':
            return getattr(obj, 'Tensor', None)
        obj = _import('.'.join([root.__name__] + parts[1:i + 1]), root)
        if obj is None:
            return None
    return obj


def _defined_in_torch(obj):
    mod = getattr(obj, '__module__', None) if isinstance(obj, type) or callable(obj) else None
    mod = mod or type(obj).__module__ or ''
    return mod == 'torch' or mod.startswith('torch.')


def _documented(name, obj, dtype_type, top):
    doc = getattr(obj, '__doc__', None)
    if isinstance(doc, str) and doc.strip() and not isinstance(obj, dtype_type):
        return True
    return isinstance(obj, dtype_type) or (top and isinstance(obj, type)
                                           and name in DOCUMENTED_CLASSES)


def public_names(module, is_class=False, dtype_type=type(None)):
    """The names of ``module`` (or class) that count, by the rules in this file's docstring.

    >>> import types
    >>> m = types.ModuleType('torch.fake')
    >>> def f():
    ...     '''doc'''
    >>> f.__module__ = 'torch.fake'
    >>> m.f, m._g, m.pi, m.sub = f, f, 3.14, types
    >>> public_names(m)
    ['f']
    """
    if is_class:
        return sorted(n for n in dir(module) if not n.startswith('_'))
    names = getattr(module, '__all__', None) or dir(module)
    keep = []
    for n in names:
        if n.startswith('_') or not hasattr(module, n):
            continue
        obj = getattr(module, n)
        if isinstance(obj, types.ModuleType) or not _defined_in_torch(obj):
            continue
        if _documented(n, obj, dtype_type, module.__name__ == 'torch'):
            keep.append(n)
    return sorted(set(keep))


def measure():
    """``[(namespace, torch's names, numtorch's missing names)]`` for every namespace."""
    import torch
    import numtorch
    rows = []
    for ns in NAMESPACES:
        theirs = _resolve(ns, torch)
        names = public_names(theirs, is_class=ns.endswith('Tensor'), dtype_type=torch.dtype)
        ours = _resolve(ns, numtorch)
        missing = names if ours is None else [n for n in names if not hasattr(ours, n)]
        rows.append((ns, names, missing))
    return rows


# ----------------------------------------------------------------------------- features
def _gpu():
    import numtorch
    try:
        numtorch.zeros(1, device='cuda')
    except Exception as e:   # today: "... (numtorch has no GPU backend yet)"
        return 'no GPU backend' not in str(e)
    return True


def _higher_order():
    import numtorch
    x = numtorch.tensor(2.0, requires_grad=True)
    (g,) = numtorch.autograd.grad(x ** 3, x, create_graph=True)
    (h,) = numtorch.autograd.grad(g, x)
    return float(h) == 12.0


def _complex_autograd():
    import numtorch
    z = numtorch.tensor([1 + 2j], requires_grad=True)
    (z * z.conj()).real.sum().backward()
    return complex(z.grad[0]) == 2 + 4j


def _has(path):
    def probe():
        import numtorch
        mod, _, attr = path.rpartition('.')
        obj = importlib.import_module('numtorch' + ('.' + mod if mod else ''))
        return hasattr(obj, attr)
    return probe


def _module(name):
    def probe():
        import numtorch
        return _import('numtorch.' + name, numtorch) is not None
    return probe


#: (what, probe): a feature is listed as not supported when its probe fails or returns False.
FEATURES = (
    ('GPU (`device="cuda"`; a CuPy backend is planned)', _gpu),
    ('higher-order gradients (`create_graph=True`)', _higher_order),
    ('autograd through complex tensors', _complex_autograd),
    ('`bfloat16` and float8 dtypes (need the optional `ml_dtypes`)', _has('bfloat16')),
    ('sparse tensors (`torch.sparse`, `sparse_coo_tensor`)', _has('sparse_coo_tensor')),
    ('recurrent layers (`nn.RNN`, `nn.LSTM`, `nn.GRU`)', _has('nn.LSTM')),
    ('attention layers (`nn.MultiheadAttention`, `nn.Transformer`)', _has('nn.MultiheadAttention')),
    ('`torch.fft`', _module('fft')),
    ('`torch.special`', _module('special')),
    ('`torch.compile`, TorchScript (`torch.jit`)', _has('compile')),
    ('`vmap` (`torch.vmap`, `torch.func.vmap`) and forward-mode AD', _has('vmap')),
    ('mixed precision (`torch.autocast`, `GradScaler`)', _has('autocast')),
    ('quantization (`torch.ao`, `qint8`)', _has('qint8')),
    ('distributed training (`torch.distributed`)', _module('distributed')),
)


def unsupported():
    """The descriptions of the ``FEATURES`` whose probe fails today."""
    out = []
    for what, probe in FEATURES:
        try:
            ok = bool(probe())
        except Exception:
            ok = False
        if not ok:
            out.append(what)
    return out


# ----------------------------------------------------------------------------- rendering
def _pct(have, total):
    return f'{100 * have / total:.0f}%' if total else '-'


def _names(names):
    return ', '.join(f'`{n}`' for n in names)


def readme_block(rows, missing_features):
    """The Markdown between the README's coverage markers."""
    lines = ['| namespace | numtorch has | torch has | coverage |', '|---|---:|---:|---:|']
    have_all = total_all = 0
    for ns, names, missing in rows:
        have = len(names) - len(missing)
        have_all, total_all = have_all + have, total_all + len(names)
        lines.append(f'| `{ns}` | {have} | {len(names)} | {_pct(have, len(names))} |')
    lines.append(f'| **all** | **{have_all}** | **{total_all}** | '
                 f'**{_pct(have_all, total_all)}** |')
    lines += ['', 'Counted by `python tools/api_coverage.py` (the rule is in its docstring: '
              "torch's public, documented names; `torch.Tensor` is its methods and attributes). "
              'Missing names, per namespace (all of them in [docs/coverage.md](docs/coverage.md)):',
              '']
    for ns, names, missing in rows:
        if not missing:
            continue
        if len(missing) <= README_LIST_MAX:
            lines.append(f'- `{ns}` ({len(missing)}): {_names(missing)}')
        else:
            lines.append(f'- `{ns}`: {len(missing)} names, listed in '
                         f'[docs/coverage.md](docs/coverage.md#{ns.replace(".", "").lower()})')
    lines += ['', 'Not supported (each probed by running numtorch):', '']
    lines += [f'- {what}' for what in missing_features]
    return '\n'.join(lines)


def doc_page(rows):
    """docs/coverage.md: the table and every missing name."""
    rule = __doc__[__doc__.index('**Which names count**'):__doc__.index('The *not supported*')]
    head = ['# API coverage against torch 2.13', '',
            'Generated by `python tools/api_coverage.py --write`; do not edit by hand.', '',
            rule.strip(), '']
    body = []
    for ns, names, missing in rows:
        have = len(names) - len(missing)
        body += [f'## {ns}', '', f'{have} of {len(names)} ({_pct(have, len(names))}). '
                 + (f'Missing ({len(missing)}):' if missing else 'Nothing missing.'), '']
        if missing:
            body += [_names(missing), '']
    return '\n'.join(head + body)


def splice(text, block):
    """``text`` with everything between the coverage markers replaced by ``block``."""
    if BEGIN not in text or END not in text:
        raise SystemExit(f'README.md has no {BEGIN} ... {END} markers')
    a = text.index(BEGIN) + len(BEGIN)
    b = text.index(END)
    return text[:a] + '\n' + block + '\n' + text[b:]


def outputs():
    """``{path: new full text}`` for README.md and docs/coverage.md."""
    rows = measure()
    with open(README, encoding='utf-8') as f:
        readme = f.read()
    return {README: splice(readme, readme_block(rows, unsupported())), DOC: doc_page(rows)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--write', action='store_true', help='rewrite README.md and docs/coverage.md')
    p.add_argument('--check', action='store_true', help='exit 1 when they are out of date')
    args = p.parse_args(argv)
    sys.path.insert(0, ROOT)   # this checkout's numtorch, not an installed one
    new = outputs()
    stale = []
    for path, text in new.items():
        old = open(path, encoding='utf-8').read() if os.path.exists(path) else None
        if old != text:
            stale.append(os.path.relpath(path, ROOT))
            if args.write:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, 'w', encoding='utf-8') as f:
                    f.write(text)
    if args.check:
        if stale:
            print(f'out of date: {", ".join(stale)}; run python tools/api_coverage.py --write')
            return 1
        return 0
    if args.write:
        print(f'wrote {", ".join(stale) or "nothing (up to date)"}')
    else:
        rows = measure()
        print(readme_block(rows, unsupported()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
