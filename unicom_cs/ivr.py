"""The 10010 voice menu (IVR): a tree a voice front-end walks with key presses.

The menu is data built from the catalog (`build_menu`): nodes with a prompt and numbered
options, each leading to another node or to an action — read something out, take a service
order, transfer to an agent queue (`hotline.route`). `step` is pure: from the session, a key
and the caller's `LineFacts` to what to say next and what to do. It takes no order itself: it
hands the front-end an `OrderRequest` (hotline channel: no ID, no cash, guide §2.3) to submit,
and `order_said` turns the outcome into words.

Keys: 1–9 choose, 0 an agent, * back (or repeat at the top), # repeat. Three wrong keys in a
row and the caller is put through to an agent, as a real IVR does.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

import attrs

from unicom_cs.catalog import Catalog, DataPack, ValueAddedService
from unicom_cs.hotline import CallerProfile, Need, Route, route
from unicom_cs.orders import Channel, OrderRequest, OrderType
from unicom_cs.sms import Intent, LineFacts, OrderOutcome, SmsCommand, reply

MAX_WRONG_KEYS: Final = 3
ROOT: Final = "root"


class Do(enum.StrEnum):
    GO = "go"  # to another node
    READ = "read"  # read something out (an SMS intent's answer)
    ORDER = "order"  # take a service order
    TRANSFER = "transfer"  # to an agent queue or another hotline
    LANGUAGE = "language"  # switch between Chinese and English


@attrs.frozen
class Option:
    key: str
    label_zh: str
    label_en: str
    do: Do
    target: str = ""  # GO: the node; READ: the intent; TRANSFER: the need; LANGUAGE: locale
    order_type: OrderType | None = None  # ORDER
    product: str = ""
    immediate: bool = False


@attrs.frozen
class Node:
    id: str
    title_zh: str
    title_en: str
    options: tuple[Option, ...]
    parent: str = ROOT

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)


Menu = Mapping[str, Node]


def _o(key: str, zh: str, en: str, do: Do, target: str = "", **kw: object) -> Option:
    return Option(key, zh, en, do, target, **kw)  # type: ignore[arg-type]


def _pack_zh(p: DataPack) -> str:
    return f"{p.fee}元{p.data_mb}MB流量包"


def _service_menu(
    node_id: str, zh: str, en: str, order_type: OrderType, services: list[ValueAddedService]
) -> Node:
    """A menu taking one order of `order_type` per value-added service, numbered from 1."""
    options = tuple(
        _o(str(i), s.name_zh or s.name, s.name, Do.ORDER, order_type=order_type, product=s.id)
        for i, s in enumerate(services, 1)
    )
    return Node(node_id, zh, en, options, parent="orders")


def build_menu(catalog: Catalog) -> dict[str, Node]:
    """The 10010 menu for a catalog: its data packs and value-added services are listed by
    number in the order-taking menus (at most 9 of each)."""
    packs = sorted(catalog.packs.values(), key=lambda p: (p.fee.amount, p.id))[:9]
    services = sorted(catalog.services.values(), key=lambda s: s.id)[:9]
    nodes = [
        Node(
            ROOT,
            "欢迎致电中国联通",
            "Welcome to China Unicom",
            (
                _o("1", "话费查询", "bills and balance", Do.GO, "bill"),
                _o("2", "充值缴费", "recharge", Do.TRANSFER, Need.RECHARGE),
                _o("3", "套餐和业务办理", "packs and services", Do.GO, "orders"),
                _o("4", "国际漫游", "international roaming", Do.GO, "roaming"),
                _o("5", "客户俱乐部", "customer club", Do.GO, "club"),
                _o("6", "投诉建议", "complaints and suggestions", Do.TRANSFER, Need.COMPLAINT),
                _o("9", "English service", "中文服务", Do.LANGUAGE, "en"),
                _o("0", "人工服务", "an agent", Do.TRANSFER, Need.MANUAL),
            ),
        ),
        Node(
            "bill",
            "话费查询",
            "Bills and balance",
            (
                _o("1", "账户余额", "balance", Do.READ, Intent.BALANCE),
                _o("2", "本月话费", "charges this month", Do.READ, Intent.SPEND),
                _o("3", "剩余通话和流量", "minutes and data left", Do.READ, Intent.REMAINING),
                _o("4", "上月账单", "last month's bill", Do.READ, Intent.LAST_BILL),
                _o("0", "人工服务", "an agent", Do.TRANSFER, Need.BILL),
            ),
        ),
        Node(
            "orders",
            "套餐和业务办理",
            "Packs and services",
            (
                _o("1", "订购流量包", "order a data pack", Do.GO, "pack-order"),
                _o("2", "退订流量包", "cancel a data pack", Do.GO, "pack-cancel"),
                _o("3", "开通增值业务", "open a service", Do.GO, "service-open"),
                _o("4", "关闭增值业务", "close a service", Do.GO, "service-close"),
                _o("0", "人工办理", "an agent", Do.TRANSFER, Need.SERVICE_ORDER),
            ),
        ),
        Node(
            "pack-order",
            "订购流量包",
            "Order a data pack",
            tuple(
                _o(str(i), _pack_zh(p), p.name, Do.GO, f"pack-when:{p.id}")
                for i, p in enumerate(packs, 1)
            ),
            parent="orders",
        ),
        *(
            Node(
                f"pack-when:{p.id}",
                _pack_zh(p),
                p.name,
                (
                    _o(
                        "1",
                        "下月生效",
                        "from next month",
                        Do.ORDER,
                        order_type=OrderType.PACK_ORDER,
                        product=p.id,
                    ),
                    _o(
                        "2",
                        "立即生效",
                        "from now",
                        Do.ORDER,
                        order_type=OrderType.PACK_ORDER,
                        product=p.id,
                        immediate=True,
                    ),
                ),
                parent="pack-order",
            )
            for p in packs
        ),
        Node(
            "pack-cancel",
            "退订流量包",
            "Cancel a data pack",
            tuple(
                _o(
                    str(i),
                    _pack_zh(p),
                    p.name,
                    Do.ORDER,
                    order_type=OrderType.PACK_CANCEL,
                    product=p.id,
                )
                for i, p in enumerate(packs, 1)
            ),
            parent="orders",
        ),
        _service_menu(
            "service-open", "开通增值业务", "Open a service", OrderType.SERVICE_OPEN, services
        ),
        _service_menu(
            "service-close", "关闭增值业务", "Close a service", OrderType.SERVICE_CLOSE, services
        ),
        Node(
            "roaming",
            "国际漫游",
            "International roaming",
            (
                _o(
                    "1",
                    "恢复漫游数据(KTSJLL)",
                    "roaming data back on (KTSJLL)",
                    Do.ORDER,
                    order_type=OrderType.ROAMING_DATA_REOPEN,
                ),
                _o("0", "漫游人工服务", "a roaming agent", Do.TRANSFER, Need.ROAMING),
            ),
        ),
        Node(
            "club",
            "客户俱乐部",
            "Customer club",
            (
                _o("1", "查询星级", "your star level", Do.READ, Intent.STAR_LEVEL),
                _o("0", "俱乐部服务(10018)", "the club line (10018)", Do.TRANSFER, Need.CLUB),
            ),
        ),
    ]
    agent = _o("0", "人工办理", "an agent", Do.TRANSFER, Need.SERVICE_ORDER)
    nodes = [
        n if n.option("0") else attrs.evolve(n, options=(*n.options, agent)) for n in nodes
    ]  # 0 reaches an agent from every menu
    return {n.id: n for n in nodes}


@attrs.frozen
class Session:
    """Where a call is in the menu."""

    call_id: str
    profile: CallerProfile
    node: str = ROOT
    locale: str = "zh-CN"
    wrong_keys: int = 0
    orders: int = 0  # orders taken in this call (numbers their request ids)
    ended: bool = False


@attrs.frozen
class Turn:
    """What the IVR does after a key: the words to say, and at most one of an order to submit
    or a transfer (after which the call leaves the IVR)."""

    session: Session
    say: tuple[str, ...]
    order: OrderRequest | None = None
    transfer: Route | None = None
    label: str = ""  # the option chosen, in the call's language (what an order is for)


def prompt(menu: Menu, session: Session) -> str:
    """The current node's menu, read out."""
    node = menu[session.node]
    en = session.locale == "en"
    title = node.title_en if en else node.title_zh
    if en:
        items = [f"for {o.label_en} press {o.key}" for o in node.options]
        tail = "" if node.id == ROOT else ", to go back press *"
        return f"{title}: " + ", ".join(items) + tail + "."
    items = [f"{o.label_zh}请按{o.key}" for o in node.options]
    tail = "" if node.id == ROOT else ",返回上级请按*"
    return f"{title}。" + ",".join(items) + tail + "。"


def start(menu: Menu, call_id: str, profile: CallerProfile) -> Turn:
    """A call arrives: greet in the caller's language and read the top menu."""
    session = Session(call_id, profile, locale=profile.locale)
    return Turn(session, (prompt(menu, session),))


def step(menu: Menu, session: Session, key: str, facts: LineFacts | None) -> Turn:
    """The IVR's answer to one key press.

    Args:
        facts: the caller's own line's figures; None when the caller is not identified as one
            of ours (then nothing of a line is read out and no order is taken).
    """
    if session.ended:
        return Turn(session, ())
    key = key.strip()[:1]
    node = menu[session.node]
    en = session.locale == "en"
    if key in ("", "#"):
        return Turn(session, (prompt(menu, session),))
    if key == "*":
        back = attrs.evolve(session, node=node.parent, wrong_keys=0)
        return Turn(back, (prompt(menu, back),))
    option = node.option(key)
    if option is None:
        wrong = session.wrong_keys + 1
        if wrong >= MAX_WRONG_KEYS:
            return _transfer(attrs.evolve(session, wrong_keys=wrong), Need.MANUAL)
        again = attrs.evolve(session, wrong_keys=wrong)
        sorry = "Sorry, that key is not in the menu." if en else "对不起,您的输入有误。"
        return Turn(again, (sorry, prompt(menu, again)))
    session = attrs.evolve(session, wrong_keys=0)
    if option.do is Do.GO:
        moved = attrs.evolve(session, node=option.target)
        return Turn(moved, (prompt(menu, moved),))
    if option.do is Do.LANGUAGE:
        locale = "zh-CN" if en else "en"
        switched = attrs.evolve(session, locale=locale)
        return Turn(switched, (prompt(menu, switched),))
    if option.do is Do.TRANSFER:
        return _transfer(session, Need(option.target))
    if facts is None:
        words = (
            "Please call from your China Unicom line, or hold for an agent."
            if en
            else "请使用联通号码拨打,或转人工服务。"
        )
        return Turn(session, (words, prompt(menu, session)))
    if option.do is Do.READ:
        text = _spoken(reply(SmsCommand(Intent(option.target)), facts, session.locale))
        return Turn(session, (text, prompt(menu, session)))
    assert option.order_type is not None
    n = session.orders + 1
    request = OrderRequest(
        f"ivr-{session.call_id}-{n}",
        facts.msisdn,
        option.order_type,
        Channel.HOTLINE,
        option.product,
        option.immediate,
        by="ivr",
    )
    label = option.label_en if en else option.label_zh
    if option.order_type in (OrderType.PACK_ORDER, OrderType.PACK_CANCEL):
        label = f"{node.title_en if en else node.title_zh}: {label}"
    return Turn(attrs.evolve(session, orders=n), (), order=request, label=label)


def order_said(menu: Menu, session: Session, outcome: OrderOutcome, what: str) -> Turn:
    """The words after the front-end submitted the order of the last turn; back to the
    order's menu."""
    en = session.locale == "en"
    if outcome.accepted and outcome.effective is not None:
        when = outcome.effective.strftime("%Y-%m-%d %H:%M")
        text = (
            f"Done: {what}, effective {when}. Order number {outcome.order_id}."
            if en
            else f"已为您办理{what},{when}生效,订单号{outcome.order_id}。"
        )
    else:
        text = f"Not done: {outcome.reason}." if en else f"办理失败:{outcome.reason}。"
    return Turn(session, (text, prompt(menu, session)))


def _transfer(session: Session, need: Need) -> Turn:
    profile = attrs.evolve(session.profile, locale=session.locale)
    where = route(need, profile)
    en = session.locale == "en"
    if where.number != "10010":
        text = (
            f"Transferring you to {where.number}, please hold."
            if en
            else f"正在为您转接{where.number},请稍候。"
        )
    else:
        text = (
            "An agent will answer shortly, please hold." if en else "正在为您转接人工服务,请稍候。"
        )
    return Turn(attrs.evolve(session, ended=True), (text,), transfer=where)


def _spoken(text: str) -> str:
    return text.replace("【联通】", "").replace(" -China Unicom", "")


__all__ = [
    "MAX_WRONG_KEYS",
    "ROOT",
    "Do",
    "Menu",
    "Node",
    "Option",
    "Session",
    "Turn",
    "build_menu",
    "order_said",
    "prompt",
    "start",
    "step",
]
