"""The hotlines (numbers, call costs, routing) and the 10010 voice menu built on them."""

from __future__ import annotations

from datetime import datetime

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unicom_cs.catalog import Catalog, default_catalog
from unicom_cs.errors import InvalidValue
from unicom_cs.hotline import (
    HOTLINES,
    Caller,
    CallerProfile,
    Need,
    Priority,
    call_cost,
    dial,
    hotline,
    route,
)
from unicom_cs.ivr import (
    MAX_WRONG_KEYS,
    ROOT,
    Do,
    Session,
    Turn,
    build_menu,
    order_said,
    prompt,
    start,
    step,
)
from unicom_cs.money import Money
from unicom_cs.orders import Channel, OrderType
from unicom_cs.period import SHANGHAI
from unicom_cs.rating import Remaining
from unicom_cs.sms import LineFacts, OrderOutcome

A = "13012345678"
CATALOG: Catalog = default_catalog()
MENU = build_menu(CATALOG)
NOW = datetime(2026, 10, 15, 10, tzinfo=SHANGHAI)
FACTS = LineFacts(A, NOW, Money("12.34"), Money("3.50"), Money(0), Remaining(10, 5, 0, 1024))
OURS = CallerProfile(msisdn=A)

# ============================================================================ hotline: dialling


def test_area_code_and_10010_reaches_that_citys_center() -> None:
    d = dial("02110010")
    assert (d.hotline.number, d.area_code, d.city) == ("10010", "021", "Shanghai")
    assert dial("0571-10011").hotline.number == "10011"
    assert dial("0999 10018").city == "area 0999"  # a code the table does not name


@pytest.mark.parametrize(
    "typed", ["+86 13010199999", "0086 13010199999", "130-1019-9999", "+86 (130) 10199999"]
)
def test_the_roaming_hotline_resolves_however_it_is_dialled(typed: str) -> None:
    d = dial(typed)
    assert (d.hotline.number, d.hotline.roaming_line, d.area_code) == ("13010199999", True, "")


def test_every_hotline_resolves_by_its_own_number() -> None:
    for h in HOTLINES:
        assert hotline(h.number) == h
        assert hotline(f"+86{h.number}") == h


@pytest.mark.parametrize(
    "number", ["10086", "12345", "", "1001", "100100", "02110901", "2110010", "021 12345"]
)
def test_a_number_that_is_not_a_hotline_is_refused(number: str) -> None:
    with pytest.raises(InvalidValue):
        dial(number)
    with pytest.raises(InvalidValue):
        call_cost(number)


# ============================================================================ hotline: cost


@pytest.mark.parametrize(
    ("number", "caller", "abroad", "free"),
    [
        ("10010", Caller.UNICOM, False, True),
        ("10011", Caller.UNICOM, False, True),
        ("10018", Caller.UNICOM, False, True),
        ("02110010", Caller.UNICOM, False, True),
        ("13010199999", Caller.UNICOM, False, True),
        ("10010", Caller.OTHER_CARRIER, False, False),
        ("02110010", Caller.OTHER_CARRIER, False, False),
        ("13010199999", Caller.UNICOM, True, True),
        ("+86 18618610010", Caller.UNICOM, True, True),
        ("13010199999", Caller.OTHER_CARRIER, True, False),
        ("10010", Caller.UNICOM, True, False),
        ("+86 10010", Caller.UNICOM, True, False),
        ("10011", Caller.UNICOM, True, False),
        ("10901", Caller.UNICOM, False, True),
        ("10901", Caller.OTHER_CARRIER, False, False),
        ("10901", Caller.UNICOM, True, False),
    ],
)
def test_what_a_call_to_a_hotline_costs(
    number: str, caller: Caller, abroad: bool, free: bool
) -> None:
    cost = call_cost(number, caller, abroad)
    assert cost.free is free
    assert cost.why


def test_10010_from_abroad_says_it_is_charged_at_roaming_rates() -> None:
    assert "roaming rates" in call_cost("10010", abroad=True).why


# ============================================================================ hotline: routing


def test_abroad_every_need_goes_to_the_roaming_queue_of_the_roaming_hotline() -> None:
    for need in Need:
        r = route(need, attrs.evolve(OURS, abroad=True))
        assert (r.number, r.queue, r.self_service) == ("13010199999", "roaming", False), need
        assert "abroad" in r.why


def test_recharge_goes_to_10011_and_the_club_to_10018() -> None:
    assert (route(Need.RECHARGE, OURS).number, route(Need.RECHARGE, OURS).queue) == (
        "10011",
        "recharge",
    )
    assert route(Need.CLUB, OURS).number == "10018"
    for need in set(Need) - {Need.RECHARGE, Need.CLUB}:
        assert route(need, OURS).number == "10010", need


@pytest.mark.parametrize("flag", ["key_customer", "fast_lane"])
def test_key_customers_and_fast_lane_members_are_served_first_only_when_identified(
    flag: str,
) -> None:
    vip = (
        attrs.evolve(OURS, key_customer=True)
        if flag == "key_customer"
        else attrs.evolve(OURS, fast_lane=True)
    )
    assert route(Need.BILL, vip).priority is Priority.FAST_LANE
    assert route(Need.BILL, OURS).priority is Priority.NORMAL
    withheld = attrs.evolve(vip, msisdn="")
    assert route(Need.BILL, withheld).priority is Priority.NORMAL
    other = attrs.evolve(vip, caller=Caller.OTHER_CARRIER)
    assert route(Need.BILL, other).priority is Priority.NORMAL


def test_english_speakers_go_to_the_english_seats_of_the_same_skill() -> None:
    en = attrs.evolve(OURS, locale="en")
    for need in Need:
        assert route(need, en).queue == route(need, OURS).queue + "-en"
    assert route(Need.BILL, attrs.evolve(en, abroad=True)).queue == "roaming-en"


def test_an_unidentified_caller_has_no_self_service_but_recharge() -> None:
    for profile in (CallerProfile(), CallerProfile(msisdn=A, caller=Caller.OTHER_CARRIER)):
        for need in Need:
            r = route(need, profile)
            assert r.self_service is (need is Need.RECHARGE), need
            assert "not identified" in r.why
    assert route(Need.BILL, OURS).self_service is True


def profiles() -> st.SearchStrategy[CallerProfile]:
    return st.builds(
        CallerProfile,
        msisdn=st.sampled_from(["", A]),
        caller=st.sampled_from(Caller),
        abroad=st.booleans(),
        key_customer=st.booleans(),
        fast_lane=st.booleans(),
        locale=st.sampled_from(["zh-CN", "en", "es"]),
    )


@settings(max_examples=100)
@given(need=st.sampled_from(Need), profile=profiles())
def test_route_always_answers_with_a_hotline(need: Need, profile: CallerProfile) -> None:
    r = route(need, profile)
    assert hotline(r.number).number == r.number
    assert r.why
    identified = profile.caller is Caller.UNICOM and bool(profile.msisdn)
    if r.priority is Priority.FAST_LANE:
        assert identified and (profile.key_customer or profile.fast_lane)


@settings(max_examples=100)
@given(need=st.sampled_from(Need), profile=profiles())
def test_an_unidentified_caller_never_gets_more_self_service_than_an_identified_one(
    need: Need, profile: CallerProfile
) -> None:
    """hotline.route: abroad every call goes to the roaming line's agents (self_service False
    for our own caller), but an unidentified caller abroad asking to recharge is given
    self_service True on that same roaming queue."""
    unidentified = attrs.evolve(profile, msisdn="")
    identified = attrs.evolve(profile, msisdn=A, caller=Caller.UNICOM)
    assert route(need, unidentified).self_service <= route(need, identified).self_service


# ============================================================================ IVR: the menu


def test_every_go_leads_to_a_node_and_every_node_has_unique_single_keys() -> None:
    assert ROOT in MENU
    for node_id, node in MENU.items():
        assert node.id == node_id
        assert node.parent in MENU
        keys = [o.key for o in node.options]
        assert len(keys) == len(set(keys)), node_id
        assert all(len(k) == 1 and k in "0123456789" for k in keys), node_id
        for o in node.options:
            if o.do is Do.GO:
                assert o.target in MENU, (node_id, o.target)
                assert MENU[o.target].parent == node_id or node_id == ROOT
            if o.do is Do.TRANSFER:
                Need(o.target)
            if o.do is Do.ORDER:
                assert o.order_type is not None


def test_every_node_is_reachable_from_the_top() -> None:
    reached, todo = {ROOT}, [ROOT]
    while todo:
        for o in MENU[todo.pop()].options:
            if o.do is Do.GO and o.target not in reached:
                reached.add(o.target)
                todo.append(o.target)
    assert reached == set(MENU)


def test_the_pack_menus_list_every_pack_of_the_catalog() -> None:
    packs = set(CATALOG.packs)
    assert len(packs) <= 9
    ordering = [o for o in MENU["pack-order"].options if o.do is Do.GO]
    assert {o.target.removeprefix("pack-when:") for o in ordering} == packs
    for p in packs:
        when = [o for o in MENU[f"pack-when:{p}"].options if o.do is Do.ORDER]
        assert {(o.product, o.immediate, o.order_type) for o in when} == {
            (p, False, OrderType.PACK_ORDER),
            (p, True, OrderType.PACK_ORDER),
        }
    cancelling = [o for o in MENU["pack-cancel"].options if o.do is Do.ORDER]
    assert {(o.product, o.order_type) for o in cancelling} == {
        (p, OrderType.PACK_CANCEL) for p in packs
    }
    opening = MENU["service-open"].options
    assert {o.product for o in opening if o.do is Do.ORDER} == set(CATALOG.services)


def test_zero_reaches_an_agent_from_every_menu() -> None:
    for node in MENU.values():
        zero = node.option("0")
        assert zero is not None and zero.do is Do.TRANSFER, node.id


def test_the_packs_are_listed_cheapest_first() -> None:
    fees = [
        CATALOG.pack(o.target.removeprefix("pack-when:")).fee
        for o in MENU["pack-order"].options
        if o.do is Do.GO
    ]
    assert fees == sorted(fees)


# ============================================================================ IVR: walks


def walk(keys: str, facts: LineFacts | None = FACTS, profile: CallerProfile = OURS) -> list[Turn]:
    turns = [start(MENU, "c1", profile)]
    for k in keys:
        turns.append(step(MENU, turns[-1].session, k, facts))
    return turns


def test_a_call_starts_at_the_top_in_the_callers_language() -> None:
    turn = start(MENU, "c1", OURS)
    assert (turn.session.node, turn.session.locale) == (ROOT, "zh-CN")
    assert turn.say == (prompt(MENU, turn.session),)
    assert turn.say[0].startswith("欢迎致电中国联通。")
    english = start(MENU, "c2", attrs.evolve(OURS, locale="en"))
    assert english.say[0].startswith("Welcome to China Unicom: ")


def test_one_then_one_reads_the_balance_from_the_lines_facts() -> None:
    *_, bill, balance = walk("11")
    assert bill.session.node == "bill"
    text, again = balance.say
    assert "12.34" in text and "余额" in text
    assert again == prompt(MENU, balance.session)
    assert (balance.order, balance.transfer) == (None, None)


def test_one_then_one_in_english_reads_the_balance_in_english() -> None:
    *_, balance = walk("11", profile=attrs.evolve(OURS, locale="en"))
    assert "Balance CNY 12.34" in balance.say[0]


def test_star_goes_back_to_the_parent_and_at_the_top_stays_there() -> None:
    turns = walk("31*")
    assert [t.session.node for t in turns] == [ROOT, "orders", "pack-order", "orders"]
    assert turns[-1].say == (prompt(MENU, turns[-1].session),)
    top = walk("*")[-1]
    assert top.session.node == ROOT
    deep = walk("311*")[-1]
    assert deep.session.node == "pack-order"


def test_hash_repeats_the_menu_without_moving() -> None:
    before, after = walk("1#")[-2:]
    assert after.session == before.session
    assert after.say == (prompt(MENU, before.session),)


def test_three_wrong_keys_in_a_row_put_the_caller_through_to_an_agent() -> None:
    turns = walk("777")
    assert [t.session.wrong_keys for t in turns] == [0, 1, 2, 3]
    assert turns[1].say[0] == "对不起,您的输入有误。"
    assert all(t.transfer is None for t in turns[:-1])
    last = turns[-1]
    assert last.session.ended and last.transfer is not None
    assert last.transfer == route(Need.MANUAL, OURS)
    assert MAX_WRONG_KEYS == 3


def test_a_right_key_resets_the_count_of_wrong_keys() -> None:
    turns = walk("77177")
    assert [t.session.wrong_keys for t in turns] == [0, 1, 2, 0, 1, 2]
    assert not turns[-1].session.ended


def test_after_a_transfer_further_keys_do_nothing() -> None:
    transferred = walk("0")[-1]
    assert transferred.session.ended and transferred.transfer is not None
    for k in "1*#90":
        after = step(MENU, transferred.session, k, FACTS)
        assert after == Turn(transferred.session, ())


def test_recharge_is_transferred_to_10011() -> None:
    turn = walk("2")[-1]
    assert turn.transfer is not None and turn.transfer.number == "10011"
    assert "10011" in turn.say[0]


def test_ordering_a_pack_gives_a_hotline_order_with_a_request_id_per_step() -> None:
    turns = walk("31112")  # orders, order a pack, the cheapest, from next month, from now
    first, second = turns[-2], turns[-1]
    assert first.order is not None and second.order is not None
    cheapest = MENU["pack-order"].options[0].target.removeprefix("pack-when:")
    assert (first.order.type, first.order.product, first.order.immediate) == (
        OrderType.PACK_ORDER,
        cheapest,
        False,
    )
    assert second.order.immediate is True
    assert {first.order.channel, second.order.channel} == {Channel.HOTLINE}
    assert (first.order.msisdn, first.order.by) == (A, "ivr")
    assert (first.order.request_id, second.order.request_id) == ("ivr-c1-1", "ivr-c1-2")
    assert second.session.orders == 2
    assert first.say == ()
    assert (first.label, second.label) == (
        "10.00元100MB流量包: 下月生效",
        "10.00元100MB流量包: 立即生效",
    )


def test_the_roaming_menu_reopens_roaming_data() -> None:
    order = walk("41")[-1].order
    assert order is not None
    assert (order.type, order.channel) == (OrderType.ROAMING_DATA_REOPEN, Channel.HOTLINE)


def test_an_order_outcome_is_said_and_the_menu_read_again() -> None:
    turn = walk("311")[-1]
    effective = datetime(2026, 11, 1, tzinfo=SHANGHAI)
    done = order_said(MENU, turn.session, OrderOutcome(True, "ORD-000001", effective), "pack")
    assert done.say[0] == "已为您办理pack,2026-11-01 00:00生效,订单号ORD-000001。"
    refused = order_said(MENU, turn.session, OrderOutcome(False, reason="no"), "pack")
    assert refused.say[0] == "办理失败:no。"
    assert done.say[1] == prompt(MENU, turn.session)


def test_an_unidentified_caller_hears_no_figures_and_orders_nothing() -> None:
    for keys in ("11", "12", "13", "14", "3111", "3112", "321", "41", "51"):
        last = walk(keys, facts=None, profile=CallerProfile())[-1]
        assert last.order is None, keys
        assert "12.34" not in " ".join(last.say)
        assert last.say[0] == "请使用联通号码拨打,或转人工服务。", keys


def test_nine_switches_to_english_and_back() -> None:
    english = walk("9")[-1]
    assert english.session.locale == "en"
    assert english.say[0].startswith("Welcome to China Unicom: ")
    bill = step(MENU, english.session, "1", FACTS)
    assert bill.say[0].startswith("Bills and balance: for balance press 1")
    assert bill.say[0].endswith("to go back press *.")
    back = step(MENU, english.session, "9", FACTS)
    assert back.session.locale == "zh-CN" and back.say[0].startswith("欢迎致电中国联通")


def test_a_transfer_after_switching_to_english_goes_to_the_english_seats() -> None:
    turn = walk("90")[-1]
    assert turn.transfer is not None and turn.transfer.queue == "general-en"
    assert turn.say == ("An agent will answer shortly, please hold.",)


KEYS = st.lists(st.sampled_from("0123456789*#x"), max_size=30)


@settings(max_examples=200)
@given(keys=KEYS, profile=profiles())
def test_any_keys_never_raise_and_never_order_for_an_unidentified_caller(
    keys: list[str], profile: CallerProfile
) -> None:
    turn = start(MENU, "call", profile)
    transfers = 0
    for k in keys:
        before = turn.session
        turn = step(MENU, before, k, None)
        assert turn.order is None
        assert turn.session.node in MENU
        assert turn.session.orders == 0
        if before.ended:
            assert turn == Turn(before, ())
        elif turn.transfer is not None:
            transfers += 1
            assert turn.session.ended
        assert turn.session.wrong_keys <= MAX_WRONG_KEYS
    assert transfers <= 1


@settings(max_examples=100)
@given(keys=KEYS)
def test_with_facts_order_request_ids_are_unique_in_a_call(keys: list[str]) -> None:
    session: Session = start(MENU, "call", OURS).session
    ids = []
    for k in keys:
        turn = step(MENU, session, k, FACTS)
        session = turn.session
        if turn.order is not None:
            ids.append(turn.order.request_id)
            assert turn.order.msisdn == A and turn.order.channel is Channel.HOTLINE
            assert turn.transfer is None
    assert len(ids) == len(set(ids)) == session.orders
