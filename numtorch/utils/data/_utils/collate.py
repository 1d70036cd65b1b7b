"""``default_collate`` / ``default_convert`` under torch's older import path."""
from .._collate import default_collate, default_convert  # noqa: F401
