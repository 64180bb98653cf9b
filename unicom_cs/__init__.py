"""unicom_cs: a telecom customer-service core modelled on China Unicom's 10010.

The pure domain core (money, numbers, catalog, usage, rating, billing, accounts, orders) takes time,
data and configuration from its caller and returns values; `unicom_cs.store` persists and
`unicom_cs.cli` is the `ucs` command. Embed the core without either:

    >>> from unicom_cs import default_catalog, new_subscriber, compose_bill, Month
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from unicom_cs.account import Account, BillState, EntryKind, LedgerEntry, PaymentMode
    from unicom_cs.billing import Adjustment, Bill, BillLine, compose_bill, explain, issue
    from unicom_cs.catalog import (
        Catalog,
        DataPack,
        FirstMonth,
        Plan,
        default_catalog,
        parse_catalog,
    )
    from unicom_cs.errors import UnicomError
    from unicom_cs.hall import BusinessHall
    from unicom_cs.money import Money
    from unicom_cs.number import LineKind
    from unicom_cs.orders import (
        Channel,
        Credentials,
        OrderRequest,
        OrderState,
        OrderType,
        ServiceOrder,
        accept,
    )
    from unicom_cs.period import SHANGHAI, Month
    from unicom_cs.rating import LineCode, RatedRecord, Terms, rate_usage
    from unicom_cs.subscriber import LineStatus, Subscriber, new_subscriber
    from unicom_cs.usage import Direction, Service, UsageRecord, parse_cdrs

# Public names and the module that defines each. They are imported on first use (PEP 562), so
# `import unicom_cs.cli` does not load the numbering-plan data before a command needs it.
_EXPORTS = {
    "account": ("Account", "BillState", "EntryKind", "LedgerEntry", "PaymentMode"),
    "billing": ("Adjustment", "Bill", "BillLine", "compose_bill", "explain", "issue"),
    "catalog": ("Catalog", "DataPack", "FirstMonth", "Plan", "default_catalog", "parse_catalog"),
    "errors": ("UnicomError",),
    "hall": ("BusinessHall",),
    "money": ("Money",),
    "number": ("LineKind",),
    "period": ("SHANGHAI", "Month"),
    "rating": ("LineCode", "RatedRecord", "Terms", "rate_usage"),
    "orders": (
        "Channel",
        "Credentials",
        "OrderRequest",
        "OrderState",
        "OrderType",
        "ServiceOrder",
        "accept",
    ),
    "subscriber": ("LineStatus", "Subscriber", "new_subscriber"),
    "usage": ("Direction", "Service", "UsageRecord", "parse_cdrs"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'unicom_cs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"unicom_cs.{module}"), name)
    globals()[name] = value
    return value


__version__ = "0.5.0"

__all__ = [
    "SHANGHAI",
    "Account",
    "Adjustment",
    "Bill",
    "BillLine",
    "BillState",
    "BusinessHall",
    "Catalog",
    "Channel",
    "Credentials",
    "DataPack",
    "Direction",
    "EntryKind",
    "FirstMonth",
    "LedgerEntry",
    "LineCode",
    "LineKind",
    "LineStatus",
    "Money",
    "Month",
    "OrderRequest",
    "OrderState",
    "OrderType",
    "PaymentMode",
    "Plan",
    "RatedRecord",
    "Service",
    "ServiceOrder",
    "Subscriber",
    "Terms",
    "UnicomError",
    "UsageRecord",
    "__version__",
    "accept",
    "compose_bill",
    "default_catalog",
    "explain",
    "issue",
    "new_subscriber",
    "parse_catalog",
    "parse_cdrs",
    "rate_usage",
]
