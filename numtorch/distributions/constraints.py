"""Constraints on distribution parameters and supports (torch's ``distributions.constraints``):
each has ``check(value) -> bool tensor`` and torch's repr, which the validation messages name."""
__all__ = ['Constraint', 'real', 'real_vector', 'positive', 'unit_interval', 'boolean', 'simplex',
           'nonnegative_integer', 'integer_interval', 'greater_than', 'less_than', 'interval',
           'half_open_interval', 'multinomial', 'dependent', 'dependent_property',
           'nonnegative', 'greater_than_eq', 'positive_integer', 'independent', 'is_dependent',
           'lower_triangular', 'lower_cholesky', 'positive_definite', 'positive_semidefinite',
           'square', 'symmetric', 'one_hot', 'corr_cholesky']


class Constraint:
    """A region of values; ``check`` says, elementwise over the batch, which values are in it."""
    event_dim = 0
    is_discrete = False

    def check(self, value):
        raise NotImplementedError

    def __repr__(self):
        return type(self).__name__[1:] + '()'


class _Real(Constraint):
    def check(self, value):
        return value == value      # False only for NaN


class _GreaterThan(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return self.lower_bound < value

    def __repr__(self):
        return f'GreaterThan(lower_bound={self.lower_bound})'


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return value < self.upper_bound

    def __repr__(self):
        return f'LessThan(upper_bound={self.upper_bound})'


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self):
        return f'Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})'


class _HalfOpenInterval(_Interval):
    def check(self, value):
        return (self.lower_bound <= value) & (value < self.upper_bound)

    def __repr__(self):
        return f'HalfOpenInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})'


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (value % 1 == 0) & (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self):
        return f'IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})'


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)

    def __repr__(self):
        return f'IntegerGreaterThan(lower_bound={self.lower_bound})'


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _Multinomial(Constraint):
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, x):
        return (x >= 0).all(-1) & (x.sum(-1) <= self.upper_bound)

    def __repr__(self):
        return 'Multinomial()'


class _Dependent(Constraint):
    def check(self, value):
        raise ValueError('Cannot determine validity of dependent constraint')

    def __repr__(self):
        return 'Dependent()'


class _GreaterThanEq(Constraint):
    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return self.lower_bound <= value

    def __repr__(self):
        return f'GreaterThanEq(lower_bound={self.lower_bound})'


class _IndependentConstraint(Constraint):
    """``base_constraint`` with its rightmost ``reinterpreted_batch_ndims`` dims made event dims."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self):
        return self.base_constraint.is_discrete

    @property
    def event_dim(self):
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def check(self, value):
        result = self.base_constraint.check(value)
        if result.dim() < self.reinterpreted_batch_ndims:
            expected = self.base_constraint.event_dim + self.reinterpreted_batch_ndims
            raise ValueError(f'Expected value.dim() >= {expected} but got {value.dim()}')
        for _ in range(self.reinterpreted_batch_ndims):
            result = result.all(-1)
        return result

    def __repr__(self):
        return f'IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})'


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class _Square(Constraint):
    event_dim = 2

    def check(self, value):
        import numtorch
        return numtorch.full(value.shape[:-2], value.shape[-2] == value.shape[-1],
                             dtype=numtorch.bool)


class _LowerTriangular(Constraint):
    event_dim = 2

    def check(self, value):
        return (value.tril() == value).flatten(-2).min(-1)[0]


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        lower = (value.tril() == value).flatten(-2).min(-1)[0]
        return lower & (value.diagonal(dim1=-2, dim2=-1) > 0).min(-1)[0]


class _CorrCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        from .._dtype import finfo
        tol = finfo(value.dtype).eps * value.shape[-1] * 10
        row_norm = value.norm(dim=-1)
        unit = ((row_norm - 1.0).abs() <= tol).all(-1)
        return _LowerCholesky().check(value) & unit


class _Symmetric(_Square):
    def check(self, value):
        sq = super().check(value)
        if not bool(sq.all()):
            return sq
        return ((value - value.mT).abs() <= 1e-6 * (1 + value.abs())).flatten(-2).all(-1)


class _PositiveSemidefinite(_Symmetric):
    def check(self, value):
        sym = super().check(value)
        if not bool(sym.all()):
            return sym
        import numtorch
        return numtorch.linalg.eigvalsh(value).ge(0).all(-1)


class _PositiveDefinite(_Symmetric):
    def check(self, value):
        sym = super().check(value)
        if not bool(sym.all()):
            return sym
        import numtorch
        from .._backend import namespace, xp as host
        ok = []
        mats = value.detach()._data.reshape((-1,) + tuple(value.shape[-2:]))
        xp = namespace(mats)
        for m in mats:      # a failed Cholesky = not positive definite (torch's cholesky_ex test)
            try:   # CuPy does not raise by default: it leaves NaN (the input is finite here)
                ok.append(bool(xp.isfinite(xp.linalg.cholesky(m)).all()))
            except host.linalg.LinAlgError:
                ok.append(False)
        return numtorch.tensor(ok, dtype=numtorch.bool,
                               device=value.device).reshape(value.shape[:-2])


def is_dependent(constraint):
    """True for ``dependent`` (and ``dependent_property`` placeholders)."""
    return isinstance(constraint, _Dependent)


class dependent_property(property):
    """A property whose constraint depends on the distribution's parameters (``support``)."""


real = _Real()
real_vector = _IndependentConstraint(real, 1)
positive = _GreaterThan(0.0)
nonnegative_integer = _IntegerGreaterThan(0)
unit_interval = _Interval(0.0, 1.0)
boolean = _Boolean()
simplex = _Simplex()
dependent = _Dependent()
greater_than = _GreaterThan
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval
integer_interval = _IntegerInterval
nonnegative = _GreaterThanEq(0.0)
greater_than_eq = _GreaterThanEq
positive_integer = _IntegerGreaterThan(1)
independent = _IndependentConstraint
one_hot = _OneHot()
square = _Square()
symmetric = _Symmetric()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
corr_cholesky = _CorrCholesky()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
multinomial = _Multinomial
