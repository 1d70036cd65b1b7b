"""``numtorch.nn.parallel``: importable, as scripts import it at the top
(``from torch.nn.parallel import DistributedDataParallel``); the distributed work adds
``DistributedDataParallel`` here."""
