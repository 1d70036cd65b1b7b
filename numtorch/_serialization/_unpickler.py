"""A restricted unpickler: the opcodes of a checkpoint pickle and an allowlist of globals.

This allowlist *is* the security boundary (as in torch's ``_weights_only_unpickler``): a GLOBAL
outside it raises ``UnpicklingError`` naming it, before it could be called; REDUCE, NEWOBJ and
BUILD only act on allowlisted objects; opcodes that build arbitrary instances (INST, OBJ, EXT*,
NEWOBJ_EX) are not implemented at all. Every malformed input -- short reads, stack underflow, a
missing memo entry, a bad UTF-8 string -- surfaces as ``UnpicklingError`` with the byte offset.
Tuples are depth-tracked as they are built, because hashing a deeply nested tuple (as a dict key)
recurses in C; everything else is depth-checked on the finished object (``check_depth``).
"""
import collections
import struct

from ._errors import CheckpointError, UnpicklingError
from ._pickler import MAX_DEPTH

_MODULE_RENAMES = {'__builtin__': 'builtins', 'copy_reg': 'copyreg'}
_u8, _u16 = struct.Struct('<B').unpack_from, struct.Struct('<H').unpack_from
_i32, _u32 = struct.Struct('<i').unpack_from, struct.Struct('<I').unpack_from
_u64, _f64 = struct.Struct('<Q').unpack_from, struct.Struct('>d').unpack_from


class Unpickler:
    """``Unpickler(data, allowed, persistent_load, construct).load(pos) -> (obj, end)``.

    ``allowed`` maps 'module.name' to what that global means; ``construct`` is the set of ids of
    the allowed objects that REDUCE may call; ``build`` applies BUILD state to an allowed type.
    """

    def __init__(self, data, allowed, callables, persistent_load, build, newobj):
        self.data = data
        self.allowed = allowed
        self.callables = callables
        self.persistent_load = persistent_load
        self.build = build
        self.newobj = newobj

    def load(self, pos=0):
        try:
            return self._load(pos)
        except CheckpointError:
            raise
        except Exception as e:   # IndexError, KeyError, struct.error, UnicodeDecodeError, ...
            raise UnpicklingError(f'malformed pickle near byte {self.pos}: '
                                  f'{type(e).__name__}: {e}') from None

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

    def _tuple(self, items):
        # depth of a tuple = 1 + deepest tuple/frozenset inside it (see module docstring)
        d = 0
        for x in items:
            if type(x) in (tuple, frozenset):
                d = max(d, self.depth.get(id(x), 1))
        t = tuple(items)
        if d:
            if d + 1 > MAX_DEPTH:
                raise UnpicklingError(f'pickle nests tuples deeper than {MAX_DEPTH} levels')
            self.depth[id(t)] = d + 1
            self.keep.append(t)
        return t

    def _global(self, module, name):
        module = _MODULE_RENAMES.get(module, module)
        full = f'{module}.{name}'
        if full not in self.allowed:
            raise UnpicklingError(f'rejected global {full!r}: checkpoints may only name tensor '
                                  'rebuild functions, storage types, dtypes, torch.Size/device, '
                                  'collections.OrderedDict and plain containers; nothing was '
                                  'executed')
        return self.allowed[full]

    def _load(self, pos):
        self.pos = pos
        self.depth, self.keep = {}, []
        data, take = self.data, self._take
        stack, metastack, memo = [], [], {}
        append = stack.append
        n = len(data)

        def pop_mark():
            nonlocal stack, append
            items = stack
            stack = metastack.pop()
            append = stack.append
            return items

        while True:
            if self.pos >= n:
                raise UnpicklingError('pickle data ended before its STOP opcode')
            op = data[self.pos]
            self.pos += 1
            if op == 0x71:                                   # BINPUT
                memo[take(1)[0]] = stack[-1]
            elif op == 0x68:                                 # BINGET
                append(memo[take(1)[0]])
            elif op == 0x58:                                 # BINUNICODE
                append(str(take(_u32(take(4))[0]), 'utf-8', 'surrogatepass'))
            elif op == 0x4b:                                 # BININT1
                append(take(1)[0])
            elif op == 0x28:                                 # MARK
                metastack.append(stack)
                stack = []
                append = stack.append
            elif op == 0x74:                                 # TUPLE
                items = pop_mark()
                append(self._tuple(items))
            elif op in (0x85, 0x86, 0x87):                   # TUPLE1/2/3
                k = op - 0x84
                if len(stack) < k:
                    raise UnpicklingError('stack underflow building a tuple')
                stack[-k:] = [self._tuple(stack[-k:])]
            elif op == 0x29:                                 # EMPTY_TUPLE
                append(())
            elif op == 0x52:                                 # REDUCE
                args = stack.pop()
                func = stack[-1]
                if id(func) not in self.callables:
                    raise UnpicklingError(f'REDUCE on {func!r}, which is not an allowed callable')
                if type(args) is not tuple:
                    raise UnpicklingError('REDUCE arguments are not a tuple')
                stack[-1] = func(*args)
            elif op == 0x63:                                 # GLOBAL
                module = self._line().decode('utf-8')
                append(self._global(module, self._line().decode('utf-8')))
            elif op == 0x93:                                 # STACK_GLOBAL
                name, module = stack.pop(), stack.pop()
                if type(name) is not str or type(module) is not str:
                    raise UnpicklingError('STACK_GLOBAL needs two strings')
                append(self._global(module, name))
            elif op == 0x51:                                 # BINPERSID
                pid = stack.pop()
                if (type(pid) is not tuple or not pid
                        or pid[0] not in ('storage', b'storage')):
                    raise UnpicklingError(f'persistent id {pid!r:.80} is not a storage')
                append(self.persistent_load(pid))
            elif op == 0x88:                                 # NEWTRUE
                append(True)
            elif op == 0x89:                                 # NEWFALSE
                append(False)
            elif op == 0x4e:                                 # NONE
                append(None)
            elif op == 0x4d:                                 # BININT2
                append(_u16(take(2))[0])
            elif op == 0x4a:                                 # BININT
                append(_i32(take(4))[0])
            elif op == 0x8a:                                 # LONG1
                append(int.from_bytes(take(take(1)[0]), 'little', signed=True))
            elif op == 0x8b:                                 # LONG4
                append(int.from_bytes(take(_i32(take(4))[0]), 'little', signed=True))
            elif op == 0x47:                                 # BINFLOAT
                append(_f64(take(8))[0])
            elif op == 0x8c:                                 # SHORT_BINUNICODE
                append(str(take(take(1)[0]), 'utf-8', 'surrogatepass'))
            elif op == 0x8d:                                 # BINUNICODE8
                append(str(take(_u64(take(8))[0]), 'utf-8', 'surrogatepass'))
            elif op in (0x55, 0x54):                         # SHORT_BINSTRING, BINSTRING
                raw = take(take(1)[0] if op == 0x55 else _i32(take(4))[0])
                try:
                    append(raw.decode('ascii'))      # Python 2 str, as pickle's default does
                except UnicodeDecodeError:
                    append(raw)
            elif op in (0x43, 0x42, 0x8e):                   # SHORT_BINBYTES/BINBYTES/BINBYTES8
                ln = take(1)[0] if op == 0x43 else _u32(take(4))[0] if op == 0x42 else _u64(take(8))[0]
                append(bytes(take(ln)))
            elif op == 0x96:                                 # BYTEARRAY8
                append(bytearray(take(_u64(take(8))[0])))
            elif op == 0x5d:                                 # EMPTY_LIST
                append([])
            elif op == 0x7d:                                 # EMPTY_DICT
                append({})
            elif op == 0x8f:                                 # EMPTY_SET
                append(set())
            elif op == 0x61:                                 # APPEND
                item = stack.pop()
                if type(stack[-1]) is not list:
                    raise UnpicklingError('APPEND to a non-list')
                stack[-1].append(item)
            elif op == 0x65:                                 # APPENDS
                items = pop_mark()
                if type(stack[-1]) is not list:
                    raise UnpicklingError('APPENDS to a non-list')
                stack[-1].extend(items)
            elif op == 0x6c:                                 # LIST
                append(pop_mark())
            elif op in (0x73, 0x75, 0x64):                   # SETITEM, SETITEMS, DICT
                if op == 0x73:
                    items = stack[-2:]
                    if len(items) != 2:
                        raise UnpicklingError('stack underflow in SETITEM')
                    del stack[-2:]
                else:
                    items = pop_mark()
                    if op == 0x64:
                        append({})
                target = stack[-1]
                if type(target) not in (dict, collections.OrderedDict, collections.Counter):
                    raise UnpicklingError(f'SETITEM on a {type(target).__name__}, not a dict')
                if len(items) % 2:
                    raise UnpicklingError('odd number of items for a dict')
                for i in range(0, len(items), 2):
                    target[items[i]] = items[i + 1]
            elif op == 0x90:                                 # ADDITEMS
                items = pop_mark()
                if type(stack[-1]) is not set:
                    raise UnpicklingError('ADDITEMS to a non-set')
                for x in items:
                    stack[-1].add(x)
            elif op == 0x91:                                 # FROZENSET
                items = pop_mark()
                fs = frozenset(items)
                d = max([self.depth.get(id(x), 1) for x in items if type(x) in (tuple, frozenset)],
                        default=0)
                if d:
                    if d + 1 > MAX_DEPTH:
                        raise UnpicklingError(f'pickle nests deeper than {MAX_DEPTH} levels')
                    self.depth[id(fs)] = d + 1
                    self.keep.append(fs)
                append(fs)
            elif op == 0x62:                                 # BUILD
                state = stack.pop()
                self.build(stack[-1], state)
            elif op == 0x81:                                 # NEWOBJ
                args = stack.pop()
                cls = stack.pop()
                if type(args) is not tuple:
                    raise UnpicklingError('NEWOBJ arguments are not a tuple')
                append(self.newobj(cls, args))
            elif op in (0x72, 0x94):                         # LONG_BINPUT, MEMOIZE
                memo[_u32(take(4))[0] if op == 0x72 else len(memo)] = stack[-1]
            elif op == 0x6a:                                 # LONG_BINGET
                append(memo[_u32(take(4))[0]])
            elif op in (0x70, 0x67):                         # PUT, GET (text indices)
                idx = int(self._line())
                if op == 0x70:
                    memo[idx] = stack[-1]
                else:
                    append(memo[idx])
            elif op == 0x49:                                 # INT (text; I00/I01 are bools)
                line = self._line()
                append(True if line == b'01' else False if line == b'00' else int(line))
            elif op == 0x4c:                                 # LONG (text)
                append(int(self._line().rstrip(b'L')))
            elif op == 0x46:                                 # FLOAT (text)
                append(float(self._line()))
            elif op == 0x30:                                 # POP
                if stack:
                    stack.pop()
                else:
                    pop_mark()
            elif op == 0x31:                                 # POP_MARK
                pop_mark()
            elif op == 0x32:                                 # DUP
                append(stack[-1])
            elif op == 0x80:                                 # PROTO
                if take(1)[0] > 5:
                    raise UnpicklingError('unsupported pickle protocol')
            elif op == 0x95:                                 # FRAME (a length hint only)
                take(8)
            elif op == 0x2e:                                 # STOP
                if len(stack) != 1 or metastack:
                    raise UnpicklingError('pickle stack is not a single object at STOP')
                return stack[0], self.pos
            else:
                raise UnpicklingError(f'unsupported pickle opcode {bytes((op,))!r} at byte '
                                      f'{self.pos - 1} (checkpoints never need it)')


def check_depth(obj):
    """Raise ``UnpicklingError`` if containers nest deeper than ``MAX_DEPTH`` (iteratively, so a
    hostile depth cannot raise RecursionError here; later code that recurses stays safe too)."""
    kinds = (list, tuple, dict, collections.OrderedDict, set, frozenset, collections.Counter)
    done = {}          # id -> depth of finished containers (shared subtrees walked once)
    todo = [(obj, False)] if type(obj) in kinds else []
    path = set()
    keep = []
    while todo:
        x, post = todo.pop()
        if post:
            path.discard(id(x))
            ch = _children(x)
            d = 1 + max((done.get(id(c), 0) for c in ch if type(c) in kinds), default=0)
            if d > MAX_DEPTH:
                raise UnpicklingError(f'checkpoint objects nest deeper than {MAX_DEPTH} levels')
            done[id(x)] = d
            continue
        if id(x) in done or id(x) in path:   # shared, or a cycle (back edge: not deeper)
            continue
        path.add(id(x))
        keep.append(x)
        todo.append((x, True))
        if len(path) > MAX_DEPTH:
            raise UnpicklingError(f'checkpoint objects nest deeper than {MAX_DEPTH} levels')
        for c in _children(x):
            if type(c) in kinds:
                todo.append((c, False))


def _children(x):
    if isinstance(x, dict):
        out = list(x.keys()) + list(x.values())
        if type(x) is not dict:
            out += list(vars(x).values())
        return out
    return list(x)
