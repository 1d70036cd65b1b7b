"""Count numtorch's import cycles and the function-level imports that dodge them.

    python tools/import_cycles.py        # summary (run from the repository root)
    python tools/import_cycles.py -v     # plus every cycle and every function-level import

Module-level imports (AST, any statement not inside a def/lambda) form a graph over
numtorch's modules (importing a.b.c also imports the packages a and a.b, except the importer's
own parents). A function-level import "dodges a cycle" when its target already reaches the
importer through module-level imports: moved to the top, it would close a cycle.
"""
import ast, os, sys
from collections import defaultdict
root = 'numtorch'
mods = {}
for dp, dn, fn in os.walk(root):
    for f in fn:
        if f.endswith('.py'):
            p = os.path.join(dp, f)
            m = p[:-3].replace('/', '.')
            if m.endswith('.__init__'): m = m[:-9]
            mods[m] = p
def resolve(cur, node, ispkg):
    out = []
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name.startswith('numtorch'): out.append(a.name)
        return out
    base = cur if ispkg else cur.rsplit('.', 1)[0]
    if node.level:
        parts = base.split('.')
        if node.level > 1: parts = parts[:-(node.level - 1)]
        base = '.'.join(parts)
        full = base + ('.' + node.module if node.module else '')
    else:
        full = node.module or ''
        if not full.startswith('numtorch'): return out
    for a in node.names:
        cand = full + '.' + a.name
        out.append(cand if cand in mods else full)
    return out
edges = defaultdict(set); fl = []
for m, p in mods.items():
    tree = ast.parse(open(p).read())
    ispkg = p.endswith('__init__.py')
    top = set(id(n) for n in tree.body)
    # module-level = statements not inside a def/lambda
    def walk(node, infunc):
        for ch in ast.iter_child_nodes(node):
            if isinstance(ch, (ast.Import, ast.ImportFrom)):
                tg = resolve(m, ch, ispkg)
                if infunc:
                    if tg: fl.append((m, ch.lineno, tg))
                else:
                    for t in tg:
                        if t in mods and t != m: edges[m].add(t)
            f2 = infunc or isinstance(ch, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            walk(ch, f2)
    walk(tree, False)
# importing a.b.c imports packages a, a.b too
for m in list(edges):
    for t in list(edges[m]):
        parts = t.split('.')
        for i in range(2, len(parts)):
            pk = '.'.join(parts[:i])
            if pk in mods and pk != m and not m.startswith(pk + '.'): edges[m].add(pk)
    edges[m] = {t for t in edges[m] if not m.startswith(t + '.')}
# SCCs (Tarjan)
idx = {}; low = {}; st = []; on = set(); sccs = []; c = [0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(sorted(comp))
for v in mods:
    if v not in idx: sc(v)
pairs = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges.get(b, ())})
print('function-level imports of numtorch modules:', len(fl))
print('2-cycles:', len(pairs))
for p in pairs: print('  ', p[0], '<->', p[1])
print('SCCs:', [len(s) for s in sccs])
if '-v' in sys.argv:
    for s in sccs: print(s)
    for x in fl: print('  F', x)
# function-level imports that dodge a cycle: the target reaches the importer at module level
def reach(a, b):
    seen = {a}; todo = [a]
    while todo:
        v = todo.pop()
        if v == b: return True
        for w in edges.get(v, ()):
            if w not in seen: seen.add(w); todo.append(w)
    return False
dodge = []
for m, ln, tg in fl:
    for t in tg:
        if t in mods and t != m and not m.startswith(t + '.') and reach(t, m):
            dodge.append((m, ln, t)); break
print('function-level imports that dodge a cycle:', len(dodge))
from collections import Counter
cnt = Counter((m, t) for m, ln, t in dodge)
for (m, t), k in sorted(cnt.items()): print(f'   {m} -> {t}  x{k}')
root_imp = [(m, ln) for m, ln, tg in fl if any(t == 'numtorch' for t in tg)]
print('function-level imports of the numtorch package itself:', len(root_imp))
