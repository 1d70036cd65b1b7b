"""nn.utils.rnn vs torch: pad_sequence, pack_padded_sequence, pad_packed_sequence,
pack_sequence, unpack_sequence, unpad_sequence, PackedSequence, invert_permutation (values,
gradients, errors)."""
import numpy as np
import pytest
import torch

import numtorch
from errcheck import same_error

FW = {'torch': torch, 'numtorch': numtorch}


def _seqs(fw, lengths, trail=(2,), dt=np.float64, grad=True):
    rng = np.random.default_rng(sum(lengths))
    return [fw.tensor(rng.standard_normal((n,) + trail).astype(dt), requires_grad=grad)
            for n in lengths]


def _check(fn, lengths, trail=(2,)):
    """``fn(fw, seqs) -> tensor``: equal values and equal gradients of sum(out * w)."""
    res = {}
    for name, fw in FW.items():
        seqs = _seqs(fw, lengths, trail)
        out = fn(fw, seqs)
        w = np.sin(np.arange(out.numel()) + 1.0).reshape(tuple(out.shape))
        (out * fw.tensor(w)).sum().backward()
        res[name] = (out.detach().numpy(), [s.grad.numpy() for s in seqs])
    np.testing.assert_array_equal(res['numtorch'][0], res['torch'][0])
    for a, b in zip(res['numtorch'][1], res['torch'][1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('batch_first', [False, True])
@pytest.mark.parametrize('side', ['right', 'left'])
@pytest.mark.parametrize('lengths,trail', [([3, 1, 4], (2,)), ([2, 2], ()), ([1, 3], (2, 3))])
def test_pad_sequence(batch_first, side, lengths, trail):
    _check(lambda fw, s: fw.nn.utils.rnn.pad_sequence(s, batch_first=batch_first,
                                                      padding_value=-2.5, padding_side=side),
           lengths, trail)


@pytest.mark.parametrize('batch_first', [False, True])
@pytest.mark.parametrize('lengths,enforce', [([4, 3, 1], True), ([1, 4, 3, 3], False),
                                             ([2, 2], True), ([2, 5], False)])
@pytest.mark.parametrize('as_tensor', [False, True])
def test_pack_pad_round_trip(batch_first, lengths, enforce, as_tensor):
    """pack_padded_sequence -> (fields vs torch) -> pad_packed_sequence, gradients through both."""
    fields = {}

    def fn(fw, seqs):
        R = fw.nn.utils.rnn
        padded = R.pad_sequence(seqs, batch_first=batch_first)
        ls = fw.tensor(lengths) if as_tensor else lengths
        p = R.pack_padded_sequence(padded, ls, batch_first=batch_first, enforce_sorted=enforce)
        fields[fw.__name__] = [None if f is None else f.detach().numpy() for f in p]
        out, lens = R.pad_packed_sequence(p, batch_first=batch_first, padding_value=7.0,
                                          total_length=max(lengths) + 1)
        assert lens.dtype == fw.int64
        fields[fw.__name__].append(lens.numpy())
        return out
    _check(fn, lengths)
    for a, b in zip(fields['numtorch'], fields['torch']):
        if b is None:
            assert a is None
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('lengths,enforce', [([3, 2, 2], True), ([1, 3, 2], False)])
def test_pack_sequence_and_unpack(lengths, enforce):
    got = {}
    for name, fw in FW.items():
        R = fw.nn.utils.rnn
        seqs = _seqs(fw, lengths, grad=False)
        p = R.pack_sequence(seqs, enforce_sorted=enforce)
        got[name] = ([x.numpy() for x in p if x is not None],
                     [s.numpy() for s in R.unpack_sequence(p)])
        for s, u in zip(seqs, R.unpack_sequence(p)):
            np.testing.assert_array_equal(s.numpy(), u.numpy())
    for a, b in zip(got['numtorch'][0] + got['numtorch'][1], got['torch'][0] + got['torch'][1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('batch_first', [False, True])
def test_unpad_sequence(batch_first):
    _check(lambda fw, s: fw.cat(fw.nn.utils.rnn.unpad_sequence(
        fw.nn.utils.rnn.pad_sequence(s, batch_first=batch_first), fw.tensor([3, 1, 2]),
        batch_first=batch_first)), [3, 1, 2])


def test_packed_sequence_object():
    R, TR = numtorch.nn.utils.rnn, torch.nn.utils.rnn
    seqs = [[1, 2, 3], [4, 5]]
    pn = R.pack_sequence([numtorch.tensor(s) for s in seqs])
    pt = TR.pack_sequence([torch.tensor(s) for s in seqs])
    assert repr(pn) == repr(pt)
    assert pn._fields == pt._fields
    data, bs, si, ui = pn
    assert si is None and ui is None and bs.dtype == numtorch.int64
    assert pn.double().data.dtype == numtorch.float64
    assert pn.float().data.dtype == numtorch.float32
    assert pn.long() is pn and pn.to(numtorch.int64) is pn
    assert not pn.is_cuda
    q = R.PackedSequence((data, bs))
    assert q.batch_sizes is bs and q.unsorted_indices is None
    q = R.PackedSequence(data, bs, numtorch.tensor([1, 0]))
    assert q.unsorted_indices.tolist() == [1, 0]
    perm = [3, 0, 2, 1]
    assert R.invert_permutation(numtorch.tensor(perm)).tolist() == \
        TR.invert_permutation(torch.tensor(perm)).tolist()
    assert R.invert_permutation(None) is None


def _z(fw, *shape):
    return fw.zeros(*shape)


@pytest.mark.parametrize('fn', [
    lambda m: m.nn.utils.rnn.pack_padded_sequence(_z(m, 3, 2, 1), [2, 3]),
    lambda m: m.nn.utils.rnn.pack_padded_sequence(_z(m, 3, 2, 1), [3, 0]),
    lambda m: m.nn.utils.rnn.pack_padded_sequence(_z(m, 3, 2, 1), [3, 2, 1]),
    lambda m: m.nn.utils.rnn.pack_sequence([_z(m, 1), _z(m, 2)]),
    lambda m: m.nn.utils.rnn.pad_sequence([]),
    lambda m: m.nn.utils.rnn.pad_sequence([_z(m, 2)], padding_side='up'),
    lambda m: m.nn.utils.rnn.pad_sequence(3),
    lambda m: m.nn.utils.rnn.pad_packed_sequence(
        m.nn.utils.rnn.pack_sequence([_z(m, 3)]), total_length=2),
    lambda m: m.nn.utils.rnn.PackedSequence(_z(m, 3)),
])
def test_errors_match_torch(fn):
    same_error(fn)


def test_bad_lengths_raise():
    """Where torch reads past the input (a length longer than the padded batch), say so."""
    with pytest.raises(RuntimeError, match='exceeds'):
        numtorch.nn.utils.rnn.pack_padded_sequence(numtorch.zeros(3, 2), [4, 2])
    with pytest.raises(RuntimeError, match='trailing'):
        numtorch.nn.utils.rnn.pad_sequence([numtorch.zeros(2), numtorch.zeros(3, 1)])
