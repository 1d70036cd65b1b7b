"""Child-process functions for the multiprocessing.spawn test: a module without torch, so
spawned children start quickly (spawn imports the function's module in the child)."""
import numtorch


def write_or_fail(i, path):
    """Process 0 writes a file; process 1 raises."""
    if i == 1:
        raise ValueError(f'bad {i}')
    with open(f'{path}/{i}', 'w') as f:
        f.write(str(numtorch.ones(2).sum().item() + i))
