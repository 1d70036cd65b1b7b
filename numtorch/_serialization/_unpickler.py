"""A restricted unpickler: the opcodes of a checkpoint pickle and an allowlist of globals.

This allowlist *is* the security boundary (as in torch's ``_weights_only_unpickler``): a GLOBAL
outside it raises ``UnpicklingError`` naming it, before it could be called; REDUCE, NEWOBJ and
BUILD only act on allowlisted objects; opcodes that build arbitrary instances (INST, OBJ, EXT*,
NEWOBJ_EX) are not implemented at all. Every malformed input -- short reads, stack underflow, a
missing memo entry, a bad UTF-8 string -- surfaces as ``UnpicklingError`` with the byte offset.

Time and memory are bounded by the pickle's size: each opcode consumes at least one byte, and
every object built (by an opcode or an allowlisted constructor) is charged its approximate
memory against a ``Budget`` proportional to the file's size, *before* it is built where the
cost is known up front. Hashing is bounded too: tuples and frozensets carry their depth and
expanded leaf count (a memoised tuple DAG can expand to 2**100 leaves in 1 KB), and every key
or set member is charged its leaf count; keys whose hashes an attacker can make collide (big
ints, floats, tuples) are counted per container so a hash-flooded dict is refused.
"""
import collections
import struct

from ._errors import CheckpointError, UnpicklingError, short
from ._pickler import MAX_DEPTH

_MODULE_RENAMES = {'__builtin__': 'builtins', 'copy_reg': 'copyreg'}
_u8, _u16 = struct.Struct('<B').unpack_from, struct.Struct('<H').unpack_from
_i32, _u32 = struct.Struct('<i').unpack_from, struct.Struct('<I').unpack_from
_u64, _f64 = struct.Struct('<Q').unpack_from, struct.Struct('>d').unpack_from
MAX_INT_BYTES = 1 << 10       # LONG4/LONG ints: 8192 bits (no checkpoint holds a larger int)
_MAX_COLLISIONS = 64          # keys with one hash in one container (int keys: at most 2)
_FLOODABLE = (tuple, frozenset, float, complex)
_PLAIN = frozenset((int, str, bytes, bool, type(None)))   # randomised or collision-free hashes
# approximate bytes of what each opcode builds (CPython 3.11, 64-bit), used by the budget
COST_OBJ, COST_LIST, COST_DICT, COST_SET = 56, 56, 64, 216
COST_LIST_ITEM, COST_DICT_ITEM, COST_SET_ITEM = 9, 56, 128
COST_LEAF = 16   # hashing one leaf takes about as long as building 16 bytes of objects


class Budget:
    """What one load may still build, in approximate bytes (see the module docstring)."""
    __slots__ = ('left', 'total')

    def __init__(self, total):
        self.left = self.total = total

    def charge(self, n):
        self.left -= n
        if self.left < 0:
            self.exceeded()

    def exceeded(self):
        raise UnpicklingError(
            f'the checkpoint\'s pickle builds more objects than its file size allows (budget '
            f'{self.total} bytes: the file size plus a constant); refusing a file that would '
            'take far more memory or time than it holds')


class Unpickler:
    """``Unpickler(data, allowed, callables, persistent_load, build, newobj, budget)``;
    ``.load(pos) -> (obj, end)``.

    ``allowed`` maps 'module.name' to what that global means; ``callables`` is the set of ids of
    the allowed objects that REDUCE may call; ``build`` applies BUILD state to an allowed type.
    """

    def __init__(self, data, allowed, callables, persistent_load, build, newobj, budget):
        self.data = data
        self.allowed = allowed
        self.callables = callables
        self.persistent_load = persistent_load
        self.build = build
        self.newobj = newobj
        self.budget = budget

    def load(self, pos=0):
        try:
            return self._load(pos)
        except CheckpointError:
            raise
        except Exception as e:   # IndexError, KeyError, struct.error, UnicodeDecodeError, ...
            raise UnpicklingError(f'malformed pickle near byte {self.pos}: '
                                  f'{type(e).__name__}: {short(str(e), 120)}') from None
        finally:
            self.info = self.keep = self.coll = None

    def _take(self, n):
        p = self.pos
        if n < 0 or p + n > len(self.data):
            raise UnpicklingError(f'pickle data truncated at byte {p} (wanted {n} more bytes)')
        self.pos = p + n
        return self.data[p:p + n]

    def _line(self):
        end = self.data.find(b'\n', self.pos, self.pos + 4096)
        if end < 0:
            raise UnpicklingError(f'unterminated text field at byte {self.pos}')
        s = self.data[self.pos:end]
        self.pos = end + 1
        return s

    def _long(self, n):
        if n > MAX_INT_BYTES:
            raise UnpicklingError(f'a {n}-byte integer at byte {self.pos} (at most '
                                  f'{MAX_INT_BYTES} bytes)')
        return int.from_bytes(self._take(n), 'little', signed=True)

    def _text_int(self, line):
        digits = line.strip().lstrip(b'+-')
        if len(digits) > 2 * MAX_INT_BYTES or not digits.isdigit():
            raise UnpicklingError(f'bad text integer {short(bytes(line[:40]))} at byte {self.pos}')
        return int(line)

    # -------------------------------------------------------- tuples, frozensets and hashing
    def leaves(self, x):
        """Work to hash (or compare) ``x``: its expanded leaf count, for a tuple/frozenset DAG."""
        t = type(x)
        if t is tuple or t is frozenset:
            got = self.info.get(id(x))
            return got[1] if got is not None else len(x) + 1
        if t is int:
            return 1 + x.bit_length() // 512
        return 1

    def _nested(self, items, made):
        """Record the depth and leaf count of a new tuple/frozenset built from ``items``."""
        d, n, info = 0, 1, self.info
        for x in items:
            if type(x) is tuple or type(x) is frozenset:
                got = info.get(id(x))
                if got is None:
                    n += len(x) + 1
                    d = max(d, 1)
                else:
                    n += got[1]
                    d = max(d, got[0])
            else:
                n += 1
        if d:
            if d + 1 > MAX_DEPTH:
                raise UnpicklingError(f'pickle nests tuples deeper than {MAX_DEPTH} levels')
            info[id(made)] = (d + 1, min(n, 1 << 62))
            self.keep.append(made)
        return made

    def hashing(self, items, container=None):
        """Charge the hashing of ``items`` (keys or members); refuse hash flooding."""
        leaves, coll = self.leaves, self.coll
        self.budget.charge(COST_LEAF * sum(map(leaves, items)))   # before any hash is computed
        cid = None
        for k in items:
            t = type(k)
            if (t in _FLOODABLE or (t is int and not -(1 << 60) < k < 1 << 60)
                    or (t not in _PLAIN and isinstance(k, tuple))):   # torch.Size
                self.budget.charge(COST_DICT_ITEM)
                if cid is None:   # counted per container: a live one's id, else a fresh number
                    if container is None:
                        self.seq += 1
                        cid = -self.seq
                    else:
                        cid = id(container)
                        self.keep.append(container)   # its id stays its own
                key = (cid, hash(k))
                c = coll[key] = coll.get(key, 0) + 1
                if c > _MAX_COLLISIONS:
                    raise UnpicklingError('the pickle builds a dict or set whose keys share one '
                                          'hash value (hash flooding); refused')

    def _global(self, module, name):
        module = _MODULE_RENAMES.get(module, module)
        full = f'{module}.{name}'
        if full not in self.allowed:
            raise UnpicklingError(f'rejected global {short(full, 120)}: checkpoints may only '
                                  'name tensor rebuild functions, storage types, dtypes, '
                                  'torch.Size/device, collections.OrderedDict and plain '
                                  'containers; nothing was executed. If you trust this file, '
                                  'allow it with numtorch.serialization.add_safe_globals([...]) '
                                  'or load it with weights_only=False')
        return self.allowed[full]

    def _load(self, pos):
        self.pos = pos
        self.info, self.keep, self.coll, self.seq = {}, [], {}, 0
        data, take = self.data, self._take
        stack, metastack, memo = [], [], {}
        append = stack.append
        n = len(data)
        budget = self.budget
        nested, hashing = self._nested, self.hashing

        def bad_op(op):
            raise UnpicklingError(f'unsupported pickle opcode {bytes((op,))!r} at byte '
                                  f'{self.pos - 1} (checkpoints never need it)')

        def pop_mark():
            nonlocal stack, append
            budget.left += COST_LIST   # the mark's list is dropped or charged by its user
            items = stack
            stack = metastack.pop()
            append = stack.append
            return items

        while True:
            if self.pos >= n:
                raise UnpicklingError('pickle data ended before its STOP opcode')
            # every opcode pushes at most one object and a pointer to it: charge a pointer
            # here, and the object below where it is new
            budget.left -= 8
            if budget.left < 0:
                budget.exceeded()
            op = data[self.pos]
            self.pos += 1
            if op < 0x40:
                if op == 0x28:                                 # MARK
                    budget.left -= COST_LIST
                    metastack.append(stack)
                    stack = []
                    append = stack.append
                elif op == 0x29:                                 # EMPTY_TUPLE
                    append(())
                elif op == 0x30:                                 # POP
                    if stack:
                        stack.pop()
                    else:
                        pop_mark()
                elif op == 0x31:                                 # POP_MARK
                    pop_mark()
                elif op == 0x32:                                 # DUP
                    append(stack[-1])
                elif op == 0x2e:                                 # STOP
                    if len(stack) != 1 or metastack:
                        raise UnpicklingError('pickle stack is not a single object at STOP')
                    return stack[0], self.pos
                else:
                    bad_op(op)
            elif op < 0x50:
                if op == 0x4b:                                 # BININT1
                    append(take(1)[0])
                elif op == 0x4e:                                 # NONE
                    append(None)
                elif op == 0x4d:                                 # BININT2
                    append(_u16(take(2))[0])
                elif op == 0x4a:                                 # BININT
                    budget.left -= 32
                    append(_i32(take(4))[0])
                elif op == 0x47:                                 # BINFLOAT
                    budget.left -= 24
                    append(_f64(take(8))[0])
                elif op in (0x43, 0x42):                         # SHORT_BINBYTES, BINBYTES
                    ln = take(1)[0] if op == 0x43 else _u32(take(4))[0]
                    budget.charge(COST_OBJ + ln)
                    append(bytes(take(ln)))
                elif op == 0x49:                                 # INT (text; I00/I01 are bools)
                    line = self._line()
                    budget.left -= COST_OBJ + len(line)
                    append(True if line == b'01' else False if line == b'00'
                           else self._text_int(line))
                elif op == 0x4c:                                 # LONG (text)
                    line = self._line()
                    budget.left -= COST_OBJ + len(line)
                    append(self._text_int(line.rstrip(b'L')))
                elif op == 0x46:                                 # FLOAT (text)
                    line = self._line()
                    if len(line) > 64:
                        raise UnpicklingError(f'bad text float at byte {self.pos}')
                    budget.left -= 32
                    append(float(line))
                else:
                    bad_op(op)
            elif op < 0x64:
                if op == 0x58:                                 # BINUNICODE
                    ln = _u32(take(4))[0]
                    budget.charge(COST_OBJ + ln)   # a str never takes more bytes than its UTF-8
                    append(str(take(ln), 'utf-8', 'surrogatepass'))
                elif op == 0x52:                                 # REDUCE
                    args = stack.pop()
                    func = stack[-1]
                    if id(func) not in self.callables:
                        raise UnpicklingError(f'REDUCE on {short(func)}, which is not an allowed '
                                              'callable')
                    if type(args) is not tuple:
                        raise UnpicklingError('REDUCE arguments are not a tuple')
                    budget.charge(COST_OBJ)
                    stack[-1] = func(*args)
                elif op == 0x63:                                 # GLOBAL
                    module = self._line().decode('utf-8')
                    append(self._global(module, self._line().decode('utf-8')))
                elif op == 0x51:                                 # BINPERSID
                    pid = stack.pop()
                    if (type(pid) is not tuple or not pid
                            or pid[0] not in ('storage', b'storage')):
                        raise UnpicklingError(f'persistent id {short(pid)} is not a storage')
                    budget.charge(COST_OBJ)
                    append(self.persistent_load(pid))
                elif op in (0x55, 0x54):                         # SHORT_BINSTRING, BINSTRING
                    ln = take(1)[0] if op == 0x55 else _i32(take(4))[0]
                    budget.charge(COST_OBJ + max(ln, 0))
                    raw = take(ln)
                    try:
                        append(raw.decode('ascii'))      # Python 2 str, as pickle's default does
                    except UnicodeDecodeError:
                        append(bytes(raw))
                elif op == 0x5d:                                 # EMPTY_LIST
                    budget.left -= COST_LIST
                    append([])
                elif op == 0x61:                                 # APPEND
                    item = stack.pop()
                    if type(stack[-1]) is not list:
                        raise UnpicklingError('APPEND to a non-list')
                    stack[-1].append(item)
                elif op == 0x62:                                 # BUILD
                    state = stack.pop()
                    self.build(stack[-1], state)
                else:
                    bad_op(op)
            elif op < 0x76:
                if op == 0x71:                                   # BINPUT
                    memo[take(1)[0]] = stack[-1]
                elif op == 0x68:                                 # BINGET
                    append(memo[take(1)[0]])
                elif op == 0x74:                                 # TUPLE
                    items = pop_mark()
                    budget.charge(40 + 8 * len(items))
                    append(nested(items, tuple(items)))
                elif op == 0x65:                                 # APPENDS
                    items = pop_mark()
                    if type(stack[-1]) is not list:
                        raise UnpicklingError('APPENDS to a non-list')
                    budget.charge(COST_LIST_ITEM * len(items))
                    stack[-1].extend(items)
                elif op == 0x6c:                                 # LIST
                    items = pop_mark()
                    budget.charge(COST_LIST + COST_LIST_ITEM * len(items))
                    append(items)
                elif op in (0x73, 0x75, 0x64):                   # SETITEM, SETITEMS, DICT
                    if op == 0x73:
                        items = stack[-2:]
                        if len(items) != 2:
                            raise UnpicklingError('stack underflow in SETITEM')
                        del stack[-2:]
                    else:
                        items = pop_mark()
                        if op == 0x64:
                            budget.charge(COST_DICT)
                            append({})
                    target = stack[-1]
                    if type(target) not in (dict, collections.OrderedDict, collections.Counter):
                        raise UnpicklingError(f'SETITEM on a {type(target).__name__}, not a dict')
                    if len(items) % 2:
                        raise UnpicklingError('odd number of items for a dict')
                    budget.charge(COST_DICT_ITEM * len(items))
                    keys = items[::2]
                    hashing(keys, target)
                    for i in range(0, len(items), 2):
                        target[items[i]] = items[i + 1]
                elif op == 0x72:                                 # LONG_BINPUT
                    budget.left -= COST_DICT_ITEM
                    memo[_u32(take(4))[0]] = stack[-1]
                elif op == 0x6a:                                 # LONG_BINGET
                    append(memo[_u32(take(4))[0]])
                elif op in (0x70, 0x67):                         # PUT, GET (text indices)
                    idx = self._text_int(self._line())
                    if op == 0x70:
                        budget.left -= COST_DICT_ITEM
                        memo[idx] = stack[-1]
                    else:
                        append(memo[idx])
                else:
                    bad_op(op)
            elif op < 0x8b:
                if op in (0x85, 0x86, 0x87):                   # TUPLE1/2/3
                    k = op - 0x84
                    if len(stack) < k:
                        raise UnpicklingError('stack underflow building a tuple')
                    budget.charge(COST_OBJ)
                    items = stack[-k:]
                    stack[-k:] = [nested(items, tuple(items))]
                elif op == 0x88:                                 # NEWTRUE
                    append(True)
                elif op == 0x89:                                 # NEWFALSE
                    append(False)
                elif op == 0x8a:                                 # LONG1
                    budget.left -= 64
                    append(int.from_bytes(take(take(1)[0]), 'little', signed=True))
                elif op == 0x7d:                                 # EMPTY_DICT
                    budget.left -= COST_DICT
                    append({})
                elif op == 0x81:                                 # NEWOBJ
                    args = stack.pop()
                    cls = stack.pop()
                    if type(args) is not tuple:
                        raise UnpicklingError('NEWOBJ arguments are not a tuple')
                    budget.charge(COST_OBJ)
                    append(self.newobj(cls, args))
                elif op == 0x80:                                 # PROTO
                    if take(1)[0] > 5:
                        raise UnpicklingError('unsupported pickle protocol')
                else:
                    bad_op(op)
            else:
                if op == 0x93:                                 # STACK_GLOBAL
                    name, module = stack.pop(), stack.pop()
                    if type(name) is not str or type(module) is not str:
                        raise UnpicklingError('STACK_GLOBAL needs two strings')
                    append(self._global(module, name))
                elif op == 0x8b:                                 # LONG4
                    ln = _i32(take(4))[0]
                    budget.charge(COST_OBJ + max(ln, 0))
                    append(self._long(ln))
                elif op == 0x8c:                                 # SHORT_BINUNICODE
                    ln = take(1)[0]
                    budget.left -= COST_OBJ + ln
                    append(str(take(ln), 'utf-8', 'surrogatepass'))
                elif op == 0x8d:                                 # BINUNICODE8
                    ln = _u64(take(8))[0]
                    budget.charge(COST_OBJ + ln)
                    append(str(take(ln), 'utf-8', 'surrogatepass'))
                elif op == 0x8e:                                 # BINBYTES8
                    ln = _u64(take(8))[0]
                    budget.charge(COST_OBJ + ln)
                    append(bytes(take(ln)))
                elif op == 0x96:                                 # BYTEARRAY8
                    ln = _u64(take(8))[0]
                    budget.charge(COST_OBJ + ln)
                    append(bytearray(take(ln)))
                elif op == 0x8f:                                 # EMPTY_SET
                    budget.left -= COST_SET
                    append(set())
                elif op == 0x90:                                 # ADDITEMS
                    items = pop_mark()
                    if type(stack[-1]) is not set:
                        raise UnpicklingError('ADDITEMS to a non-set')
                    budget.charge(COST_SET_ITEM * len(items))
                    hashing(items, stack[-1])
                    stack[-1].update(items)
                elif op == 0x91:                                 # FROZENSET
                    items = pop_mark()
                    budget.charge(COST_SET + COST_SET_ITEM * len(items))
                    hashing(items)
                    append(nested(items, frozenset(items)))
                elif op == 0x94:                                 # MEMOIZE
                    budget.left -= COST_DICT_ITEM
                    memo[len(memo)] = stack[-1]
                elif op == 0x95:                                 # FRAME (a length hint only)
                    take(8)
                else:
                    bad_op(op)


def check_depth(obj, budget=None):
    """Raise ``UnpicklingError`` if containers nest deeper than ``MAX_DEPTH``.

    Linear in the number of containers and edges and iterative (no RecursionError). Shared
    containers are walked once. A tensor's Python attributes (its BUILD state) are walked
    too. Without cycles this is the exact longest path; if the walk meets a cycle it starts
    over with ``_depth_with_cycles``, whose bound stays sound where skipping the nodes on the
    current path would let a cycle hide a long path. Memory is charged to ``budget``.
    """
    from .._tensor import Tensor
    kinds = (list, tuple, dict, collections.OrderedDict, set, frozenset, collections.Counter)
    if not _is_node(obj, kinds, Tensor):
        return
    done = {}      # id -> depth of a finished container
    opened = set()
    todo = [obj]
    scalars = _SCALARS
    while todo:
        v = todo[-1]
        iv = id(v)
        if iv in done:
            todo.pop()
            continue
        first = iv not in opened
        opened.add(iv)
        best, queued = 0, False
        for c in _children(v):
            t = type(c)
            if t in scalars:
                continue
            if t in kinds:
                if not c:
                    best = best or 1
                    continue
            elif not (isinstance(c, Tensor) and _is_node(c, kinds, Tensor)):
                continue
            d = done.get(id(c))
            if d is None:
                if not first or id(c) in opened:   # a child on the current path: a cycle
                    return _depth_with_cycles(obj, kinds, Tensor, budget)
                todo.append(c)
                queued = True
            elif d > best:
                best = d
        if queued:
            continue                  # finish the children, then come back to v
        if best >= MAX_DEPTH:
            _too_deep()
        done[iv] = best + 1
        todo.pop()
        if budget is not None and not len(done) & 0xFFF:
            budget.charge(0x1000 * 200)


def _depth_with_cycles(obj, kinds, tensor, budget):
    """The depth of a strongly connected group of containers is its size plus the depth below
    it (Tarjan's algorithm): an upper bound on every simple path through it."""
    kinds = set(kinds)
    rec = {}            # id -> [index, low, deepest component below] while on Tarjan's stack
    done = {}           # id -> depth of a finished node's component
    order = []          # Tarjan's stack of nodes
    cost = count = 0
    todo = [(obj, iter(_children(obj)))]
    rec[id(obj)] = [0, 0, 0]
    order.append(obj)
    while todo:
        v, it = todo[-1]
        rv = rec[id(v)]
        for c in it:
            if not _is_node(c, kinds, tensor):
                if type(c) in kinds or isinstance(c, tensor):   # empty: depth 1
                    rv[2] = max(rv[2], 1)
                continue
            d = done.get(id(c))
            if d is not None:
                rv[2] = max(rv[2], d)
                continue
            rc = rec.get(id(c))
            if rc is not None:          # on the stack: same component as v
                rv[1] = min(rv[1], rc[0])
                continue
            cost += 512
            if budget is not None and cost > 1 << 16:
                budget.charge(cost)
                cost = 0
            count += 1
            rec[id(c)] = [count, count, 0]
            order.append(c)
            if len(todo) >= MAX_DEPTH:   # the DFS path is a simple path
                _too_deep()
            todo.append((c, iter(_children(c))))
            break
        else:
            todo.pop()
            if rv[1] == rv[0]:          # v roots a component: pop it, give it its depth
                comp = []
                while True:
                    u = order.pop()
                    comp.append(u)
                    if u is v:
                        break
                d = len(comp) + max(rec[id(u)][2] for u in comp)
                if d > MAX_DEPTH:
                    _too_deep()
                for u in comp:
                    done[id(u)] = d
                    del rec[id(u)]
            if todo:
                p = rec[id(todo[-1][0])]
                dv = done.get(id(v))
                if dv is not None:
                    p[2] = max(p[2], dv)
                else:                   # v is in p's component
                    p[1] = min(p[1], rv[1])
                    p[2] = max(p[2], rv[2])
    if budget is not None:
        budget.charge(cost)


_SCALARS = frozenset((int, float, str, bool, bytes, type(None), complex))


def _too_deep():
    raise UnpicklingError(f'checkpoint objects nest deeper than {MAX_DEPTH} levels')


def _is_node(x, kinds, tensor):
    if type(x) in kinds:
        return bool(x)
    return isinstance(x, tensor) and bool(getattr(x, '__dict__', None))


def _children(x):
    if isinstance(x, dict):
        if type(x) is dict:
            return [*x.keys(), *x.values()]
        return [*x.keys(), *x.values(), *vars(x).values()]
    if type(x) in (list, tuple, set, frozenset):
        return x
    return [v for k, v in vars(x).items() if not k.startswith('_')]   # a tensor's attributes
