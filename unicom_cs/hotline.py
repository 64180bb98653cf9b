"""The hotlines: who each number serves, what a call to it costs, and where a caller is routed.

From the 10010 guide (§1, §3) and tariff rules §5 and §9:
- 10010: consultation, business acceptance, complaints and manual service, 24 hours; 10011:
  recharge; 10018: the customer club; +86 13010199999 (later also +86 18618610010): the
  international roaming line; 10901: the bill by SMS.
- Calls to them from a China Unicom line at home are free. Abroad only the roaming lines are
  free, and only from the roaming line itself; +86 10010 from abroad is charged at roaming
  rates. "Area code + 10010" (02110010) reaches another city's center; customers of other
  carriers may call 10010 too, at their carrier's price.
- Key customers and club members with the fast-lane privilege are queued ahead (快速通道).

`route` is a pure decision: from what the caller wants and who the caller is, to the number,
the queue and the priority. The IVR (`unicom_cs.ivr`) and an agent desktop use it alike.
"""

from __future__ import annotations

import enum
import re
from typing import Final

import attrs

from unicom_cs.errors import InvalidValue


class Need(enum.StrEnum):
    """What a caller wants, as the IVR's first menu or an agent's call reason names it."""

    BILL = "bill"  # 话费查询: bill, itemised detail
    BALANCE = "balance"
    RECHARGE = "recharge"  # 充值
    PACKAGE_CHANGE = "package-change"
    SERVICE_ORDER = "service-order"  # open/close services, data packs
    SUSPEND_OR_LOSS = "suspend-or-loss"  # 停机, 挂失
    COMPLAINT = "complaint"
    CONSULTATION = "consultation"  # tariffs, coverage, products
    ROAMING = "roaming"
    CLUB = "club"
    MANUAL = "manual"  # "an agent, please"


@attrs.frozen
class Hotline:
    number: str
    name: str
    name_zh: str
    needs: frozenset[Need]
    hours: str = "24 h"
    sms_only: bool = False  # 10901 answers by SMS
    roaming_line: bool = False  # free only from the roaming line itself, from abroad
    note: str = ""


HOTLINES: Final[tuple[Hotline, ...]] = (
    Hotline(
        "10010",
        "Customer service hotline",
        "客户服务热线",
        frozenset(
            {
                Need.BILL,
                Need.BALANCE,
                Need.PACKAGE_CHANGE,
                Need.SERVICE_ORDER,
                Need.SUSPEND_OR_LOSS,
                Need.COMPLAINT,
                Need.CONSULTATION,
                Need.MANUAL,
            }
        ),
        note="consultation, business acceptance, complaints, manual service; area code + "
        "10010 reaches another city's center; other carriers' customers may call",
    ),
    Hotline("10011", "Recharge line", "充值专线", frozenset({Need.RECHARGE, Need.BALANCE})),
    Hotline(
        "10018",
        "Customer club hotline",
        "客户俱乐部服务热线",
        frozenset({Need.CLUB}),
        note="member information, special-service projects and their acceptance",
    ),
    Hotline(
        "13010199999",
        "International roaming hotline",
        "国际漫游客服热线",
        frozenset({Need.ROAMING, Need.COMPLAINT, Need.CONSULTATION}),
        roaming_line=True,
        note="dial +86 13010199999 from abroad: free from the roaming line; operators, "
        "activation, coverage, rates, dialling and emergencies",
    ),
    Hotline(
        "18618610010",
        "Global roaming hotline",
        "全球客服热线",
        frozenset({Need.ROAMING, Need.COMPLAINT, Need.CONSULTATION}),
        roaming_line=True,
        note="the later global hotline (+86 18618610010)",
    ),
    Hotline(
        "10901",
        "Bill by SMS",
        "短信查询话费",
        frozenset({Need.BILL}),
        sms_only=True,
        note="text 10901 (or dial it) and the bill comes back by SMS",
    ),
)
_BY_NUMBER: Final = {h.number: h for h in HOTLINES}

# Area codes of the provincial capitals and the largest cities (长途区号), for "area code +
# 10010". Any other 3- or 4-digit code starting with 0 is accepted and named by its digits.
AREA_CODES: Final[dict[str, str]] = {
    "010": "Beijing",
    "020": "Guangzhou",
    "021": "Shanghai",
    "022": "Tianjin",
    "023": "Chongqing",
    "024": "Shenyang",
    "025": "Nanjing",
    "027": "Wuhan",
    "028": "Chengdu",
    "029": "Xi'an",
    "0311": "Shijiazhuang",
    "0351": "Taiyuan",
    "0371": "Zhengzhou",
    "0431": "Changchun",
    "0451": "Harbin",
    "0471": "Hohhot",
    "0531": "Jinan",
    "0551": "Hefei",
    "0571": "Hangzhou",
    "0591": "Fuzhou",
    "0731": "Changsha",
    "0755": "Shenzhen",
    "0771": "Nanning",
    "0791": "Nanchang",
    "0851": "Guiyang",
    "0871": "Kunming",
    "0891": "Lhasa",
    "0898": "Haikou",
    "0931": "Lanzhou",
    "0951": "Yinchuan",
    "0971": "Xining",
    "0991": "Urumqi",
}


@attrs.frozen
class Dialled:
    """A dialled service number: the hotline, and the city whose center answers ("" = the
    caller's own)."""

    hotline: Hotline
    area_code: str = ""
    city: str = ""


def hotline(number: str) -> Hotline:
    """The hotline of a service number (spaces, dashes and +86 / 0086 allowed).

    Raises:
        InvalidValue: not one of the hotlines.
    """
    return dial(number).hotline


def dial(number: str) -> Dialled:
    """What a dialled number reaches: a hotline, possibly another city's center.

    Raises:
        InvalidValue: not a hotline (nor area code + 10010).
    """
    digits = re.sub(r"[\s\-()]", "", number)
    for prefix in ("+86", "0086"):
        digits = digits.removeprefix(prefix)
    if digits in _BY_NUMBER:
        return Dialled(_BY_NUMBER[digits])
    m = re.fullmatch(r"(0\d{2,3})(10010|10011|10018)", digits)
    if m:
        code = m.group(1)
        return Dialled(_BY_NUMBER[m.group(2)], code, AREA_CODES.get(code, f"area {code}"))
    raise InvalidValue("service number", number, "not a China Unicom hotline")


class Caller(enum.StrEnum):
    UNICOM = "unicom"  # a China Unicom line
    OTHER_CARRIER = "other-carrier"  # China Mobile, China Telecom… customers may call 10010


@attrs.frozen
class CallCost:
    free: bool
    why: str


def call_cost(number: str, caller: Caller = Caller.UNICOM, abroad: bool = False) -> CallCost:
    """Whether calling a hotline costs the caller anything (guide §3.2, tariff rules §5, §9).

    Raises:
        InvalidValue: not a hotline.
    """
    d = dial(number)
    h = d.hotline
    if h.sms_only:
        if caller is Caller.UNICOM and not abroad:
            return CallCost(True, "10901 is free from a China Unicom line")
        return CallCost(False, "10901 is a China Unicom service: charged as an SMS")
    if abroad:
        if h.roaming_line and caller is Caller.UNICOM:
            return CallCost(True, f"{h.number} is free from your roaming line, 24 h")
        return CallCost(False, f"+86 {h.number} from abroad is charged at roaming rates")
    if caller is not Caller.UNICOM:
        return CallCost(False, f"{h.number} answers other carriers' customers at their price")
    if d.area_code:
        return CallCost(
            True, f"{d.area_code}{h.number}: {d.city}'s center, free from a China Unicom line"
        )
    return CallCost(True, f"{h.number} is free from a China Unicom line")


class Priority(enum.StrEnum):
    FAST_LANE = "fast-lane"  # key customers, star members with the privilege (快速通道)
    NORMAL = "normal"


@attrs.frozen
class CallerProfile:
    """Who is calling, as the switch and the store know it before an agent answers."""

    msisdn: str = ""  # "" when the number is withheld or not ours
    caller: Caller = Caller.UNICOM
    abroad: bool = False
    key_customer: bool = False  # 重要客户 (a key-customer account manager's list)
    fast_lane: bool = False  # a club level with the priority-access privilege
    locale: str = "zh-CN"


@attrs.frozen
class Route:
    """Where a call goes: the hotline, the agent queue (skill group) and the priority."""

    number: str
    queue: str
    priority: Priority
    self_service: bool  # answered by the IVR without an agent
    why: str


_QUEUES: Final[dict[Need, tuple[str, bool]]] = {
    Need.BILL: ("billing", True),
    Need.BALANCE: ("billing", True),
    Need.RECHARGE: ("recharge", True),
    Need.PACKAGE_CHANGE: ("acceptance", True),
    Need.SERVICE_ORDER: ("acceptance", True),
    Need.SUSPEND_OR_LOSS: ("acceptance", False),
    Need.COMPLAINT: ("complaints", False),
    Need.CONSULTATION: ("consultation", False),
    Need.ROAMING: ("roaming", False),
    Need.CLUB: ("club", False),
    Need.MANUAL: ("general", False),
}


def route(need: Need, profile: CallerProfile) -> Route:
    """The number, queue and priority for a caller's need.

    Abroad every need goes to the roaming line (free from the roaming line). Recharge is
    10011's, the club 10018's; everything else is 10010's. English speakers are queued to the
    English-speaking seats of the same skill. Key customers and fast-lane members are served
    first; a caller who is not ours is served by 10010 at normal priority and has no
    self-service (nothing of a line can be read to them).
    """
    queue, self_service = _QUEUES[need]
    if profile.abroad:
        number, queue, self_service = "13010199999", "roaming", False
    elif need is Need.RECHARGE:
        number = "10011"
    elif need is Need.CLUB:
        number = "10018"
    else:
        number = "10010"
    ours = profile.caller is Caller.UNICOM and bool(profile.msisdn)
    if not ours:  # a voucher recharge at home needs no caller identity; nothing else does
        self_service = self_service and need is Need.RECHARGE
    fast = ours and (profile.key_customer or profile.fast_lane)
    if profile.locale == "en":
        queue = f"{queue}-en"
    why = []
    if profile.abroad:
        why.append("abroad: the international roaming line")
    if fast:
        why.append("key customer" if profile.key_customer else "club fast lane")
    if not ours:
        why.append("caller not identified as ours")
    return Route(
        number,
        queue,
        Priority.FAST_LANE if fast else Priority.NORMAL,
        self_service,
        "; ".join(why) or "standard routing",
    )


__all__ = [
    "AREA_CODES",
    "HOTLINES",
    "CallCost",
    "Caller",
    "CallerProfile",
    "Dialled",
    "Hotline",
    "Need",
    "Priority",
    "Route",
    "call_cost",
    "dial",
    "hotline",
    "route",
]
