"""``bench/passes.py`` (issue 14's evidence for two threads) runs and reports every pass; its
bad arguments get a one-line error. Timings are not checked: speed belongs to the benchmarks."""
import os
import subprocess
import sys

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      'bench', 'passes.py')


def _run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=300)


def test_every_pass_is_timed_on_one_and_two_threads():
    r = _run('--shape', '4,3,8,8', '--repeats', '2')
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for name in ('NumPy copy', 'NumPy exp', 'numtorch sigmoid', 'numtorch batch norm backward',
                 'torch batch norm backward'):
        row = next(line for line in lines if line.startswith(name))
        assert len(row[32:].split()) == 3, row      # 1 thread, 2 threads, speed-up
    assert lines[-1].startswith('helper thread starts')


def test_a_bad_shape_is_a_one_line_error():
    r = _run('--shape', '4,x')
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == \
        "passes.py: error: --shape: expected integers separated by commas, got '4,x'"
    r = _run('--shape', '4,3,8')
    assert r.returncode == 2 and 'expected 2 or 4 positive sizes' in r.stderr
