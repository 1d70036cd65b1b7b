"""Structured fuzzing of the checkpoint loader: hypothesis builds hostile pickles from a small
grammar -- memoised DAGs of every container kind, huge and odd integers, deep nesting in every
container kind, tensors whose size/stride/offset/BUILD state come from the same grammar, and the
places where a value is hashed, formatted into a message or used as a size -- and asserts the
exception TYPE: a load either succeeds or raises ``CheckpointError`` (or its subclass), quickly.
"""
import io
import struct
import time

from hypothesis import given, settings, strategies as st, HealthCheck

import numtorch
from numtorch.serialization import CheckpointError
from test_serialization_bounds import archive, within, tensor_call, P

KINDS = ['list', 'tuple', 'dict', 'set', 'frozenset', 'odict', 'counter', 'setcall']


class Builder:
    """Pickle fragments that each push one value; memo slots handed out in order."""

    def __init__(self):
        self.memo = 100

    def put(self):
        self.memo += 1
        return b'r' + struct.pack('<I', self.memo), self.memo

    @staticmethod
    def get(i):
        return b'j' + struct.pack('<I', i)

    @staticmethod
    def wrap(kind, items):
        """A container of ``kind`` holding the fragments ``items``."""
        body = b''.join(items)
        if kind == 'list':
            return b'](' + body + b'e'
        if kind == 'tuple':
            return b'(' + body + b't'
        if kind == 'dict':   # the items as values under int keys
            return b'}(' + b''.join(b'K' + bytes([i % 256]) + x for i, x in enumerate(items)) + b'u'
        if kind == 'set':
            return b'\x8f(' + body + b'\x90'
        if kind == 'frozenset':
            return b'(' + body + b'\x91'
        if kind == 'odict':
            return (b'ccollections\nOrderedDict\n((' + b''.join(b'(K\x00' + x + b't' for x in items)
                    + b'l\x85R')
        if kind == 'counter':
            return b'ccollections\nCounter\n(' + body + b'l\x85R'
        return b'c__builtin__\nset\n(' + body + b'l\x85R'   # setcall


ints = st.one_of(
    st.integers(-2 ** 31, 2 ** 31 - 1).map(lambda v: b'J' + struct.pack('<i', v)),
    st.integers(0, 255).map(lambda v: b'K' + bytes([v])),
    st.binary(min_size=0, max_size=255).map(lambda b: b'\x8a' + bytes([len(b)]) + b),
    st.integers(0, 4000).map(lambda n: b'\x8b' + struct.pack('<i', n) + b'\x7f' * n),
    st.sampled_from([b'\x8a\x09' + b'\x00' * 8 + b'\x01', b'\x8a\x08' + b'\x00' * 7 + b'\x80',
                     b'L' + b'9' * 5000 + b'L\n', b'I-1\n', b'\x8a\x08' + b'\xff' * 7 + b'\x7f']))


def _unicode(s):
    b = s.encode('utf-8', 'surrogatepass')
    return b'X' + struct.pack('<I', len(b)) + b


scalars = st.one_of(
    ints, st.just(b'N'), st.just(b'\x88'), st.floats().map(lambda f: b'G' + struct.pack('>d', f)),
    st.text(max_size=6).map(_unicode),
    st.binary(max_size=6).map(lambda b: b'C' + bytes([len(b)]) + b))


@st.composite
def values(draw, b, depth=0):
    """A fragment pushing one value: a scalar, a container, a DAG, a deep nest or a tensor."""
    choice = draw(st.integers(0, 9 if depth < 2 else 0))
    if choice <= 2:
        return draw(scalars)
    if choice <= 4:
        kind = draw(st.sampled_from(KINDS))
        items = draw(st.lists(values(b, depth + 1), max_size=3))
        return b.wrap(kind, items)
    if choice <= 6:   # a memoised DAG: X_k = kind(X_{k-1}, X_{k-1})
        kind = draw(st.sampled_from(KINDS))
        out, prev = b.put()
        out = draw(scalars) + out + b'0'
        for _ in range(draw(st.integers(1, 90))):
            p, i = b.put()
            out += b.wrap(kind, [b.get(prev), b.get(prev)]) + p + b'0'   # memoise, pop
            prev = i
        return out + b.get(prev)   # push the DAG once
    if choice == 7:   # deep nesting, one container kind per level (cycled)
        kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3))
        out = draw(scalars)
        for lvl in range(draw(st.integers(150, 3000))):
            out = b.wrap(kinds[lvl % len(kinds)], [out])
        return out
    # a tensor whose fields and BUILD state come from the grammar
    field = draw(st.sampled_from(['size', 'stride', 'offset', 'state', None]))
    v = draw(values(b, depth + 1))
    if field == 'size':
        return tensor_call(size=v)
    if field == 'stride':
        return tensor_call(stride=v)
    if field == 'offset':
        return tensor_call(offset=v)
    if field == 'state':
        return tensor_call(state=b'}X\x03\x00\x00\x00foo' + v + b's')
    return tensor_call()


@st.composite
def programs(draw):
    """A whole data.pkl: a value, used in one of the ways that hash or format it."""
    b = Builder()
    v = draw(values(b))
    use = draw(st.sampled_from(['plain', 'key', 'member', 'persid', 'reduce', 'size', 'build']))
    body = {
        'plain': v,
        'key': b'}' + v + b'K\x01s',
        'member': b'\x8f(' + v + b'\x90',
        'persid': v + b'Q',
        'reduce': v + b')R',
        'size': b'ctorch\nSize\n' + v + b'\x85R',
        'build': b'ccollections\nOrderedDict\n)R' + v + b'b',
    }[use]
    return P + body + b'.'


STATS = {'loaded': 0, 'refused': 0}


def _load(pkl):
    t = time.perf_counter()
    try:
        numtorch.load(io.BytesIO(archive(pkl)))
        STATS['loaded'] += 1
    except CheckpointError:   # the only exception a file may cause (asserted by type)
        STATS['refused'] += 1
    within(time.perf_counter() - t, 1.0)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(pkl=programs())
def test_fuzz_structured_hostile_pickles(pkl):
    _load(pkl)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(pkl=programs(), cut=st.integers(2, 400), byte=st.integers(0, 255))
def test_fuzz_structured_pickles_with_a_changed_byte(pkl, cut, byte):
    b = bytearray(pkl)
    b[min(cut, len(b) - 1)] = byte
    _load(bytes(b))


def test_fuzz_grammar_reaches_both_outcomes():
    # the grammar is not all noise: some programs load, some are refused
    assert STATS['loaded'] > 0 and STATS['refused'] > 0, STATS
