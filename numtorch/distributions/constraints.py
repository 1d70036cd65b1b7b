"""Constraints on distribution parameters and supports (torch's ``distributions.constraints``):
each has ``check(value) -> bool tensor`` and torch's repr, which the validation messages name."""
__all__ = ['Constraint', 'real', 'real_vector', 'positive', 'unit_interval', 'boolean', 'simplex',
           'nonnegative_integer', 'integer_interval', 'greater_than', 'less_than', 'interval',
           'half_open_interval', 'multinomial', 'dependent', 'dependent_property']


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


class _IndependentReal(Constraint):
    event_dim = 1

    def __init__(self, name):
        self._name = name

    def check(self, value):
        return (value == value).all(-1)

    def __repr__(self):
        return f'IndependentConstraint({self._name}, 1)'


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


class dependent_property(property):
    """A property whose constraint depends on the distribution's parameters (``support``)."""


real = _Real()
real_vector = _IndependentReal('Real()')
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
multinomial = _Multinomial
