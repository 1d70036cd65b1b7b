"""nn-functional ops on the strict stand-in device (issue 9): besides the op specs that
test_stand_in_ops.py runs, these check what a spec cannot see — how often an op talks to the
host (a sync per bag or per target entry would make a GPU crawl), and behaviour torch defines
for corner cases the specs do not reach."""
import numpy as np
import pytest
import torch

import numtorch
from numtorch.testing import stand_in

F = numtorch.nn.functional


@pytest.fixture
def dev():
    with stand_in.enabled():
        yield 'cuda'


def _count(fn):
    """(host -> device, device -> host) copies made by ``fn()``."""
    stand_in.transfers['h2d'] = stand_in.transfers['d2h'] = 0
    fn()
    return stand_in.transfers['h2d'], stand_in.transfers['d2h']


@pytest.mark.parametrize('mode', ['sum', 'mean', 'max'])
def test_embedding_bag_syncs_do_not_grow_with_the_bag_count(dev, mode):
    counts = []
    for B in (2, 20):
        w = numtorch.randn(10, 3, device=dev, requires_grad=True)
        idx = numtorch.randint(0, 10, (4 * B,), device=dev)
        off = numtorch.arange(0, 4 * B, 4, device=dev)
        counts.append(_count(lambda: F.embedding_bag(idx, w, off, mode=mode, padding_idx=1)
                             .sum().backward()))
        assert w.grad.device == w.device
    # only the argument checks read back (offsets[0], offsets[-1], the index range): no
    # per-bag or data-sized reads, and nothing is uploaded
    assert counts[0] == counts[1] and counts[0][0] == 0 and counts[0][1] <= 6, counts


@pytest.mark.parametrize('mode', ['sum', 'mean', 'max'])
def test_embedding_bag_all_bags_empty_has_a_grad_fn_as_torch(mode):
    outs = []
    for m in (numtorch, torch):
        w = m.tensor(np.arange(6.).reshape(3, 2), requires_grad=True)
        o = m.nn.functional.embedding_bag(m.tensor([1, 1]), w, m.tensor([0]), mode=mode,
                                          padding_idx=1)
        o.sum().backward()
        outs.append((o.detach().numpy(), o.requires_grad, w.grad.numpy()))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    assert outs[0][1] == outs[1][1]
    np.testing.assert_array_equal(outs[0][2], outs[1][2])


def test_ctc_loss_reads_only_the_lengths(dev):
    lp = numtorch.randn(7, 3, 4, device=dev, requires_grad=True)
    tg = numtorch.tensor([[1, 1, 3], [3, 2, 1], [2, 1, 3]], device=dev)
    il = numtorch.tensor([7, 5, 6], device=dev)
    tl = numtorch.tensor([3, 2, 1], device=dev)
    # torch's kernel takes the lengths as int lists (a read each) and copies them back for
    # its kernel: two reads, two uploads, whatever T and the batch size
    assert _count(lambda: F.ctc_loss(lp.log_softmax(2), tg, il, tl).backward()) == (2, 2)
    assert lp.grad.device == lp.device


def test_ctc_loss_takes_cpu_targets_with_device_log_probs(dev):
    # torch moves CPU targets to log_probs' device ("as a service"); so does numtorch
    x = np.random.default_rng(0).standard_normal((6, 2, 5))
    tg, il, tl = [1, 2, 3, 4, 4], [6, 6], [2, 3]
    want = torch.nn.functional.ctc_loss(torch.tensor(x).log_softmax(2), torch.tensor(tg), il, tl)
    got = F.ctc_loss(numtorch.tensor(x, device=dev).log_softmax(2), numtorch.tensor(tg), il, tl)
    assert got.device.type == 'cuda'
    np.testing.assert_allclose(stand_in.to_host(got), want.numpy(), rtol=1e-12)


def test_resampling_tables_are_built_on_the_device(dev):
    x = numtorch.randn(1, 2, 4, 5, device=dev, requires_grad=True)
    theta = numtorch.randn(2, 2, 3, device=dev)

    def run():
        for mode in ('bilinear', 'bicubic', 'nearest-exact'):
            F.interpolate(x, size=(7, 3), mode=mode).sum().backward()
        F.affine_grid(theta, (2, 1, 3, 4), align_corners=False)
        F.unfold(x, 2)
        F.fold(F.unfold(x, 2), (4, 5), 2)
    assert _count(run) == (0, 0)


def test_multilabel_margin_loss_reads_the_target_once(dev):
    x = numtorch.randn(3, 4, device=dev, requires_grad=True)
    t = numtorch.tensor([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]], device=dev)
    # one read: the range check (torch's CUDA kernel asserts on the device instead)
    assert _count(lambda: F.multilabel_margin_loss(x, t).backward()) == (0, 1)


def test_margin_losses_target_out_of_range_as_torch():
    from errcheck import same_error
    # every entry must lie in [-1, C), past the -1 end marker too, as torch checks
    for t in ([[0, 3, -1], [1, -1, 2]], [[0, -1, 7], [1, -1, 2]], [[0, -5, 1], [1, -1, 2]]):
        same_error(lambda m: m.nn.functional.multilabel_margin_loss(m.zeros(2, 3), m.tensor(t)))
    same_error(lambda m: m.nn.functional.multi_margin_loss(m.zeros(2, 3), m.tensor([0, 3])))


def test_dropout_draws_on_the_device_with_its_own_generator(dev):
    numtorch.manual_seed(3)
    x = numtorch.ones(50, 40, device=dev, requires_grad=True)
    h2d, d2h = _count(lambda: F.dropout(x, 0.5).sum().backward())
    assert (h2d, d2h) == (0, 0) and x.grad.device == x.device
    g = stand_in.to_host(x.grad)
    assert set(np.unique(g)) <= {0.0, 2.0} and 0.3 < (g == 0).mean() < 0.7
    assert F.dropout(x, 1.0).device == x.device
    # the CPU generator's stream is untouched by the device draw
    a = numtorch.rand(3)
    numtorch.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), numtorch.rand(3).numpy())
