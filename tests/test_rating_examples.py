"""Bills worked out by hand from the published rules, reproduced to the fen by `compose_bill`.

Every expected amount below is derived in the comments from published-tariff-rules.md (section
numbers refer to it) and the bundled catalog's figures, never copied from the code's output.
Units: 1 MB = 1,024 KB = 1,048,576 bytes (§9). Every example also checks that the itemised
record charges of each usage line add up to that line's exact (unrounded) amount.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime

import pytest

from unicom_cs.billing import Bill, BillLine, compose_bill
from unicom_cs.catalog import KB, MB, Catalog, FirstMonth, default_catalog
from unicom_cs.errors import Conflict, InvalidValue
from unicom_cs.money import Money, total
from unicom_cs.period import SHANGHAI, Month
from unicom_cs.rating import LineCode, RatedRecord
from unicom_cs.subscriber import Subscriber, new_subscriber, order_pack
from unicom_cs.usage import Direction, Service, UsageRecord

CATALOG: Catalog = default_catalog()
OCT = Month(2026, 10)
NOV = Month(2026, 11)
OUT, IN = Direction.OUT, Direction.IN
FRIEND = "13800138000"  # a China Mobile number: an ordinary domestic call


def at(day: int, hour: int = 9, minute: int = 0, month: Month = OCT) -> datetime:
    return datetime(month.year, month.month, day, hour, minute, tzinfo=SHANGHAI)


class Usage:
    """A line's records, numbered in the order they are written."""

    def __init__(self, msisdn: str) -> None:
        self.msisdn = msisdn
        self.records: list[UsageRecord] = []

    def add(
        self,
        service: Service,
        when: datetime,
        *,
        seconds: int = 0,
        nbytes: int = 0,
        peer: str = "",
        direction: Direction = OUT,
        location: str = "CN-BJ",
    ) -> UsageRecord:
        rec = UsageRecord(
            f"r{len(self.records) + 1:03d}",
            self.msisdn,
            service,
            direction,
            when,
            seconds,
            nbytes,
            peer,
            location,
        )
        self.records.append(rec)
        return rec

    def call(
        self, when: datetime, seconds: int, peer: str = FRIEND, location: str = "CN-BJ"
    ) -> UsageRecord:
        return self.add(Service.VOICE, when, seconds=seconds, peer=peer, location=location)

    def incoming(self, when: datetime, seconds: int, location: str = "CN-BJ") -> UsageRecord:
        return self.add(
            Service.VOICE, when, seconds=seconds, peer=FRIEND, direction=IN, location=location
        )

    def video(self, when: datetime, seconds: int, direction: Direction = OUT) -> UsageRecord:
        return self.add(Service.VIDEO, when, seconds=seconds, peer=FRIEND, direction=direction)

    def sms(
        self, when: datetime, peer: str = FRIEND, direction: Direction = OUT, location: str = "CN"
    ) -> UsageRecord:
        return self.add(Service.SMS, when, peer=peer, direction=direction, location=location)

    def data(self, when: datetime, nbytes: int, location: str = "CN-BJ") -> UsageRecord:
        return self.add(Service.DATA, when, nbytes=nbytes, location=location)


def line(
    number: str,
    plan_id: str,
    activated: date = date(2026, 1, 5),
    first_month: FirstMonth | None = None,
) -> Subscriber:
    return new_subscriber(number, plan_id, activated, CATALOG, first_month=first_month)


def billed(
    sub: Subscriber,
    records: Iterable[UsageRecord],
    month: Month = OCT,
    carry_in_bytes: int = 0,
) -> tuple[Bill, tuple[RatedRecord, ...]]:
    """Compose the bill, and check that each usage line's records add up to its exact amount."""
    bill, rated = compose_bill(sub, month, list(records), CATALOG, carry_in_bytes=carry_in_bytes)
    by_line: dict[LineCode, list[Money]] = defaultdict(list)
    for r in rated:
        by_line[r.line].append(r.charge)
    for code, charges in by_line.items():
        assert total(charges) == amount_of(bill, code).exact, code
    assert bill.total == total(x.amount for x in bill.lines)
    return bill, rated


def amount_of(bill: Bill, code: LineCode) -> BillLine:
    (found,) = [x for x in bill.lines if x.code is code]
    return found


def lines_of(bill: Bill) -> dict[LineCode, str]:
    """Each line's rounded amount as text; at most one line per code in these examples."""
    assert len({x.code for x in bill.lines}) == len(bill.lines)
    return {x.code: str(x.amount) for x in bill.lines}


# ----------------------------------------------------------------------------------------------
# (a) 3G A-46, a full month: voice, video, SMS, MMS and data over the allowance (§1)


def test_a_3g_a46_month_with_voice_video_sms_mms_and_data_overage() -> None:
    """A-46: 46 yuan; 50 outgoing minutes, 5 video minutes, no SMS, 150 MB; voice 0.25/min,
    video 0.60/min, SMS 0.10, MMS 0.30 (catalog: national standard rate), data 0.0003/KB.

    Voice, in call order (each call rounded up to the minute):
      call to 10010, 300 s ............. service number: free, draws no minutes
      2,999 s → 50 min ................. all 50 included minutes, 0 over
      incoming 600 s ................... free
      61 s → 2 min ..................... 2 over × 0.25 = 0.50
      30 s → 1 min ..................... 1 over × 0.25 = 0.25          Voice 0.75
    Video: 240 s → 4 min (4 of 5 included); incoming 100 s free; 130 s → 3 min: 1 included,
      2 over × 0.60 = 1.20                                              Video 1.20
    SMS: 7 sent × 0.10 = 0.70; 2 received and 1 sent to 10010 free      SMS 0.70
    MMS: 1 sent × 0.30                                                  MMS 0.30
    Data, each session rounded up to the KB (150 MB = 153,600 KB included):
      100 MB = 102,400 KB; 50 MB + 1 B = 51,201 KB; three 1-byte sessions = 3 KB;
      10,045 KB + 1 B = 10,046 KB; total 163,650 KB, 10,050 KB over × 0.0003 = 3.0150,
      rounded half-up to the fen                                        Data 3.02
      (rounded per month instead: 167,572,485 B = 163,646 KB → 3.0138 → 3.01.)
    Total 46.00 + 0.75 + 1.20 + 0.70 + 0.30 + 3.02 = 51.97
    """
    sub = line("13012345678", "3g-a-46")
    u = Usage(sub.msisdn)
    u.call(at(1), 300, peer="10010")
    u.call(at(2), 2999)
    u.incoming(at(3), 600)
    over_2 = u.call(at(4), 61)
    over_1 = u.call(at(5), 30)
    u.video(at(6), 240)
    u.video(at(7), 100, direction=IN)
    u.video(at(8), 130)
    for i in range(7):
        u.sms(at(10, 8 + i))
    u.sms(at(11), direction=IN)
    u.sms(at(11, 10), direction=IN)
    u.sms(at(11, 11), peer="10010")
    u.add(Service.MMS, at(12), peer=FRIEND)
    u.data(at(13), 100 * MB)
    u.data(at(14), 50 * MB + 1)
    for hour in (10, 11, 12):
        u.data(at(15, hour), 1)
    last = u.data(at(16), 10_045 * KB + 1)

    bill, rated = billed(sub, u.records)

    assert lines_of(bill) == {
        LineCode.MONTHLY_FEE: "46.00",
        LineCode.VOICE: "0.75",
        LineCode.VIDEO: "1.20",
        LineCode.SMS: "0.70",
        LineCode.MMS: "0.30",
        LineCode.DATA: "3.02",
    }
    assert amount_of(bill, LineCode.DATA).exact == Money("3.0150")
    assert str(bill.total) == "51.97"
    charge = {r.record.id: r for r in rated}
    assert charge[over_2.id].units == 2 and charge[over_2.id].charge == Money("0.50")
    assert charge[over_1.id].charge == Money("0.25")
    assert charge[last.id].units == 10_046
    assert charge[last.id].charge == Money("3.0138")  # 10,046 KB, all over × 0.0003
    assert sum(r.units for r in rated if r.line is LineCode.DATA) == 163_650


# ----------------------------------------------------------------------------------------------
# (b) 4G-56 worry-free data and shared voice/video minutes (§2)


@pytest.mark.parametrize(
    ("over_mb", "charge"),
    [
        (0, "0.00"),
        (1, "0.30"),
        (100, "30.00"),  # 0.30 × 100
        (200, "60.00"),  # 0.30 × 200
        (201, "60.00"),  # the 201st MB of a part-GB is free
        (1023, "60.00"),  # 0.30 × 200; 201–1023 free
        (1024, "60.00"),  # one whole GB: 60
        (1025, "60.30"),  # 60 + 0.30 × 1
        (1500, "120.00"),  # 60 × 1 + 0.30 × min(476, 200) = 60 + 60
        (2048 + 201, "180.00"),  # 60 × 2 + 0.30 × 200
    ],
)
def test_4g_worry_free_data_is_60_a_gb_then_030_a_mb_for_at_most_200_mb(
    over_mb: int, charge: str
) -> None:
    """4G-56 includes 500 MB; the overage n MB costs 60 × ⌊n/1024⌋ + 0.30 × min(n mod 1024, 200)."""
    sub = line("18612345678", "4g-56")
    u = Usage(sub.msisdn)
    u.data(at(3), (500 + over_mb) * MB)
    bill, _ = billed(sub, u.records)
    assert str(amount_of(bill, LineCode.DATA).amount) == charge
    assert bill.total == Money("56") + Money(charge)


def test_4g_data_rounds_the_months_cumulative_part_mb_up_once() -> None:
    """500 MB exactly, then three sessions of 300 KB: 900 KB over the allowance, which is a part
    MB charged as 1 MB: 0.30 (rounding each session to the MB would have made it 0.90).
    Total 56.00 + 0.30 = 56.30."""
    sub = line("18612345678", "4g-56")
    u = Usage(sub.msisdn)
    u.data(at(2), 500 * MB)
    for day in (3, 4, 5):
        u.data(at(day), 300 * KB)
    bill, rated = billed(sub, u.records)
    assert str(amount_of(bill, LineCode.DATA).amount) == "0.30"
    assert str(bill.total) == "56.30"
    # the first session over the allowance starts the part MB; the others fall inside it
    assert [str(r.charge) for r in rated] == ["0.00", "0.30", "0.00", "0.00"]


def test_4g_minutes_cover_voice_and_video_and_incoming_is_free() -> None:
    """4G-56: 100 minutes for voice and video together, 0.15/min beyond, SMS 0.10.

    90 min of voice (5,400 s), an incoming 1,000 s call (free), then 15 min of video (900 s):
    10 minutes remain for the video call, 5 are over × 0.15 = 0.75 on the video line.
    3 SMS × 0.10 = 0.30. Total 56.00 + 0.75 + 0.30 = 57.05."""
    sub = line("18612345678", "4g-56")
    u = Usage(sub.msisdn)
    u.call(at(1), 5_400)
    u.incoming(at(2), 1_000)
    u.video(at(3), 900)
    for hour in (9, 10, 11):
        u.sms(at(4, hour))
    bill, _ = billed(sub, u.records)
    assert lines_of(bill) == {
        LineCode.MONTHLY_FEE: "56.00",
        LineCode.VOICE: "0.00",
        LineCode.VIDEO: "0.75",
        LineCode.SMS: "0.30",
    }
    assert str(bill.total) == "57.05"


# ----------------------------------------------------------------------------------------------
# (c) 3G A-46 at the 500-yuan data-fee cap and the 6 GB cut-off (§1, §9)


def test_3g_a46_data_is_capped_at_500_yuan_and_cut_off_at_6_gb() -> None:
    """Seven sessions of 1,000 MB (1,024,000 KB each) and one more after them.

    The cut-off is 6 GB = 6,144 MB = 6,291,456 KB: six sessions use 6,144,000 KB, the seventh
    is served only 147,456 KB, the eighth nothing. Overage 6,291,456 − 153,600 = 6,137,856 KB
    × 0.0003 = 1,841.3568 → data line 1,841.36. The data-fee cap (500) gives a negative line
    500 − 1,841.3568 = −1,341.3568 → −1,341.36. Total 46.00 + 1,841.36 − 1,341.36 = 546.00.
    """
    sub = line("13012345678", "3g-a-46")
    u = Usage(sub.msisdn)
    for day in range(1, 8):
        u.data(at(day), 1000 * MB)
    after = u.data(at(20), 10 * MB)
    bill, rated = billed(sub, u.records)
    assert lines_of(bill) == {
        LineCode.MONTHLY_FEE: "46.00",
        LineCode.DATA: "1841.36",
        LineCode.DATA_CAP: "-1341.36",
    }
    assert amount_of(bill, LineCode.DATA).exact == Money("1841.3568")
    assert amount_of(bill, LineCode.DATA_CAP).exact == Money("-1341.3568")
    assert str(bill.total) == "546.00"
    served = [r.units for r in rated]
    assert served == [1_024_000] * 6 + [147_456, 0]
    assert {r.charge for r in rated if r.record.id == after.id} == {Money(0)}


def test_3g_a46_data_below_the_cap_has_no_cap_line() -> None:
    """1,500,000 KB over × 0.0003 = 450.00 < 500: no cap line. 1,653,600 KB of data (one
    session of 1,653,600 KB). Total 46 + 450 = 496.00."""
    sub = line("13012345678", "3g-a-46")
    u = Usage(sub.msisdn)
    u.data(at(5), 1_653_600 * KB)
    bill, _ = billed(sub, u.records)
    assert lines_of(bill) == {LineCode.MONTHLY_FEE: "46.00", LineCode.DATA: "450.00"}
    assert str(bill.total) == "496.00"


# ----------------------------------------------------------------------------------------------
# (d) First month on A-46: full, half (半价半量), pay-per-use (§4, §9)


def first_month_usage(msisdn: str) -> list[UsageRecord]:
    """After joining on 10 October: a 1,560 s call (26 min), video calls of 120 s and 61 s
    (2 + 2 = 4 min), one data session of 76,900 KB (78,745,600 bytes)."""
    u = Usage(msisdn)
    u.call(at(11), 1_560)
    u.video(at(12), 120)
    u.video(at(13), 61)
    u.data(at(14), 76_900 * KB)
    return u.records


def test_a_half_first_month_halves_the_fee_down_and_the_allowance_up() -> None:
    """Half: fee 46 ÷ 2 = 23.00; allowance 50/2 = 25 min, 5/2 = 2.5 → 3 video min (customer's
    favour), 150/2 = 75 MB = 76,800 KB.
    Voice 26 − 25 = 1 min × 0.25 = 0.25; video 4 − 3 = 1 min × 0.60 = 0.60; data 76,900 −
    76,800 = 100 KB × 0.0003 = 0.03. Total 23.00 + 0.25 + 0.60 + 0.03 = 23.88."""
    sub = line("13012345678", "3g-a-46", date(2026, 10, 10), first_month=FirstMonth.HALF)
    bill, _ = billed(sub, first_month_usage(sub.msisdn))
    assert lines_of(bill) == {
        LineCode.MONTHLY_FEE: "23.00",
        LineCode.VOICE: "0.25",
        LineCode.VIDEO: "0.60",
        LineCode.DATA: "0.03",
    }
    assert str(bill.total) == "23.88"


def test_a_pay_per_use_first_month_has_no_fee_and_no_allowance() -> None:
    """Pay-per-use: no fee; every unit at the overage rate: 26 × 0.25 = 6.50; 4 × 0.60 = 2.40;
    76,900 KB × 0.0003 = 23.07. Total 31.97."""
    sub = line("13012345678", "3g-a-46", date(2026, 10, 10), first_month=FirstMonth.PAY_PER_USE)
    bill, _ = billed(sub, first_month_usage(sub.msisdn))
    assert lines_of(bill) == {
        LineCode.MONTHLY_FEE: "0.00",
        LineCode.VOICE: "6.50",
        LineCode.VIDEO: "2.40",
        LineCode.DATA: "23.07",
    }
    assert str(bill.total) == "31.97"


def test_a_full_first_month_and_every_later_month_are_billed_in_full() -> None:
    """Full: the same usage fits the whole allowance (26 ≤ 50, 4 ≤ 5, 76,900 ≤ 153,600 KB):
    46.00. The month after a half first month is a full month: 46.00."""
    full = line("13012345678", "3g-a-46", date(2026, 10, 10), first_month=FirstMonth.FULL)
    assert str(billed(full, first_month_usage(full.msisdn))[0].total) == "46.00"
    half = line("13012345678", "3g-a-46", date(2026, 10, 10), first_month=FirstMonth.HALF)
    assert str(billed(half, [], NOV)[0].total) == "46.00"


def test_the_month_before_activation_has_no_bill() -> None:
    sub = line("13012345678", "3g-a-46", date(2026, 10, 10))
    with pytest.raises(Conflict):
        compose_bill(sub, Month(2026, 9), [], CATALOG)


# ----------------------------------------------------------------------------------------------
# (e) 3G data cards: auto-upgrade, the 15 GB cut-off, joining from the 16th (§3, §9)


@pytest.mark.parametrize(
    ("used_mb", "plan_id", "total_"),
    [
        # 1,723 MB: 80 + 0.10 × (1,723 − 1,024) = 80 + 69.90 = 149.90 < 150: no upgrade
        (1_723, "3g-card-80", "149.90"),
        # 1,724 MB: 80 + 70.00 = 150 reaches the 150 tier: billed as 3g-card-150 (3 GB): 150
        (1_724, "3g-card-150", "150.00"),
        # 5,000 MB: 80 + 397.60 = 477.60 ≥ 150 → 150 + 0.10 × 1,928 = 342.80 ≥ 200 →
        # 200 with 5 GB (5,120 MB) included = 200.00 < 300: stays at 200
        (5_000, "3g-card-200", "200.00"),
        # 16 GB, cut off at 15,360 MB: 1,513.60 → 1,378.80 → 1,224.00 → 300 + 0.10 × 5,120
        (16 * 1024, "3g-card-300", "812.00"),
    ],
)
def test_a_data_card_is_upgraded_while_fee_and_overage_reach_the_next_tier(
    used_mb: int, plan_id: str, total_: str
) -> None:
    sub = line("18512345678", "3g-card-80", date(2026, 9, 1))
    u = Usage(sub.msisdn)
    u.data(at(3), used_mb * MB)
    bill, _ = billed(sub, u.records)
    assert bill.plan_id == plan_id
    assert str(bill.total) == total_


def test_an_upgraded_data_card_returns_to_its_own_tier_next_month() -> None:
    """November, 100 MB within the 1 GB: 80.00 on 3g-card-80 again."""
    sub = line("18512345678", "3g-card-80", date(2026, 9, 1))
    u = Usage(sub.msisdn)
    u.data(at(3), 5_000 * MB)
    assert billed(sub, u.records)[0].plan_id == "3g-card-200"
    u.data(at(3, month=NOV), 100 * MB)
    nov, _ = billed(sub, u.records, NOV)
    assert (nov.plan_id, str(nov.total)) == ("3g-card-80", "80.00")


def test_a_data_card_joined_on_the_16th_pays_half_for_half_the_data() -> None:
    """Joined 16 October: fee 80/2 = 40.00, 1,024/2 = 512 MB. 600 MB used: 88 MB × 0.10 = 8.80;
    48.80 is below the 150 tier's halved fee (75.00): no upgrade. Total 48.80."""
    sub = line("18512345678", "3g-card-80", date(2026, 10, 16))
    assert sub.first_month is FirstMonth.HALF
    u = Usage(sub.msisdn)
    u.data(at(20), 600 * MB)
    bill, _ = billed(sub, u.records)
    assert lines_of(bill) == {LineCode.MONTHLY_FEE: "40.00", LineCode.DATA: "8.80"}


def test_a_data_card_joined_on_the_15th_gets_the_whole_package() -> None:
    """Joined 15 October: full fee 80, 1 GB; 600 MB is included. Total 80.00."""
    sub = line("18512345678", "3g-card-80", date(2026, 10, 15))
    assert sub.first_month is FirstMonth.FULL
    u = Usage(sub.msisdn)
    u.data(at(20), 600 * MB)
    assert str(billed(sub, u.records)[0].total) == "80.00"
    with pytest.raises(InvalidValue):
        line("18512345678", "3g-card-80", date(2026, 10, 15), first_month=FirstMonth.HALF)


def test_a_half_month_data_card_upgrades_against_the_next_tiers_half_fee() -> None:
    """Library's choice (§9 is silent on half months): the half month is compared with the next
    tier's half. Joined on the 20th, 1,000 MB: 40 + 0.10 × (1,000 − 512) = 88.80 ≥ 75.00 →
    billed as 3g-card-150 at half: 75.00 with 1,536 MB included, which covers the 1,000 MB;
    75.00 < 100.00 (the 200 tier's half): stop. Total 75.00."""
    sub = line("18512345678", "3g-card-80", date(2026, 10, 20))
    u = Usage(sub.msisdn)
    u.data(at(21), 1_000 * MB)
    bill, _ = billed(sub, u.records)
    assert (bill.plan_id, str(bill.total)) == ("3g-card-150", "75.00")


# ----------------------------------------------------------------------------------------------
# (f) A data pack after the plan's own data, and 4G rollover (§2, §4)


def with_pack(sub: Subscriber, pack_id: str, month: Month = OCT) -> Subscriber:
    return order_pack(sub, pack_id, month, CATALOG)


def test_a_3g_data_pack_is_drawn_after_the_plans_own_data() -> None:
    """A-46 with 3g-pack-20 (20 yuan, 300 MB): 150 + 300 = 450 MB = 460,800 KB included.
    One 500 MB session (512,000 KB): 51,200 KB over × 0.0003 = 15.36.
    Total 46.00 + 20.00 + 15.36 = 81.36; nothing left to carry."""
    sub = with_pack(line("13012345678", "3g-a-46"), "3g-pack-20")
    u = Usage(sub.msisdn)
    u.data(at(4), 500 * MB)
    bill, _ = billed(sub, u.records)
    assert lines_of(bill) == {
        LineCode.MONTHLY_FEE: "46.00",
        LineCode.DATA_PACK: "20.00",
        LineCode.DATA: "15.36",
    }
    assert str(bill.total) == "81.36"
    assert bill.carry_out_bytes == 0


@pytest.mark.parametrize(
    ("used_mb", "carry_mb"),
    [
        (100, 300),  # plan: 100 of 150 used (A-46 data does not roll over); pack untouched: 300
        (200, 250),  # plan's 150 used up, then 50 of the pack: 250 of the pack carries
        (450, 0),
    ],
)
def test_unused_pack_data_carries_to_next_month(used_mb: int, carry_mb: int) -> None:
    sub = with_pack(line("13012345678", "3g-a-46"), "3g-pack-20")
    u = Usage(sub.msisdn)
    u.data(at(4), used_mb * MB)
    bill, _ = billed(sub, u.records)
    assert str(bill.total) == "66.00"  # 46 + 20, no overage
    assert bill.carry_out_bytes == carry_mb * MB


def test_carried_pack_data_is_used_first_next_month_and_then_expires() -> None:
    """November, no pack, 250 MB carried in: 250 + 150 = 400 MB = 409,600 KB included.
    450 MB used (460,800 KB): 51,200 KB × 0.0003 = 15.36. Total 61.36. Nothing carries again
    (carried data expires, A-46 data does not roll over)."""
    sub = line("13012345678", "3g-a-46")
    u = Usage(sub.msisdn)
    u.data(at(4, month=NOV), 450 * MB)
    bill, _ = billed(sub, u.records, NOV, carry_in_bytes=250 * MB)
    assert str(bill.total) == "61.36"
    assert bill.carry_out_bytes == 0


@pytest.mark.parametrize(
    ("used_mb", "over", "carry_mb"),
    [
        # 300 MB carried in is drawn first: 100 MB of it used, 200 MB expire; the plan's 500 MB
        # are untouched and roll over
        (100, "0.00", 500),
        (400, "0.00", 400),  # 300 carried + 100 of the plan; 400 of the plan roll over
        (900, "30.00", 0),  # 800 included, 100 MB over × 0.30
    ],
)
def test_4g_rollover_uses_last_months_data_first_and_carries_only_this_months(
    used_mb: int, over: str, carry_mb: int
) -> None:
    sub = line("18612345678", "4g-56")
    u = Usage(sub.msisdn)
    u.data(at(10, month=Month(2026, 9)), 200 * MB)
    september, _ = billed(sub, u.records, Month(2026, 9))
    assert september.carry_out_bytes == 300 * MB  # 500 − 200
    u.data(at(10), used_mb * MB)
    october, _ = billed(sub, u.records, OCT, carry_in_bytes=september.carry_out_bytes)
    assert str(october.total) == str(Money("56") + Money(over))
    assert october.carry_out_bytes == carry_mb * MB


# ----------------------------------------------------------------------------------------------
# (g) International roaming: per-minute zone rates and data day packs (§5)


def test_international_roaming_calls_messages_and_day_packs() -> None:
    """A-46 abroad. Zones (catalog): JP local 2.86, receiving 2.86, to China 3.86, SMS 1.86,
    day packs of 5 MB (5,120 KB) for 5; GB local 3.86, to China 9.86, SMS 2.86, 3 MB packs
    (3,072 KB); BR is in no named zone, so the rest-of-world zone: local 6.86.

    Calls (each rounded up to the minute):
      JP local 61 s → 2 × 2.86 = 5.72;  JP to +86 138… 150 s → 3 × 3.86 = 11.58
      JP receiving 30 s → 2.86;  JP hotline +86 13010199999 600 s → free
      JP to +86 10010, 60 s → 3.86 (10010 is free at home only)
      GB local 60 s → 3.86;  GB to 138… 60 s → 9.86;  BR local 59 s → 6.86
      Roaming calls 5.72 + 11.58 + 2.86 + 3.86 + 3.86 + 9.86 + 6.86 = 44.60
    Messages: JP 2 sent × 1.86 = 3.72, 1 received free; GB 1 sent 2.86 → 6.58
    Data, days in Beijing time:
      1 Oct JP: 3,072 KB → 1 pack; another 3,072 KB → 6,144 KB → 2 packs: 10.00
      2 Oct JP: 102,400 KB, of which 16 packs × 5,120 = 81,920 KB are served: 80.00;
                another 1 MB that day is not served: data is off after 16 packs
      4 Oct GB (16:30 UTC on 3 Oct is 00:30 on 4 Oct in Beijing): 4,096 KB → 2 packs 10.00;
                at 08:00 on 4 Oct 1 KB more: 4,097 KB, still 2 packs: 0
      Roaming data 100.00
    The domestic allowance is untouched: no voice line. Total 46 + 44.60 + 6.58 + 100 = 197.18.
    """
    sub = line("13012345678", "3g-a-46")
    u = Usage(sub.msisdn)
    u.call(at(1, 8), 61, peer="+81312345678", location="JP")
    u.call(at(1, 9), 150, peer="+8613800138000", location="JP")
    u.incoming(at(1, 10), 30, location="JP")
    hotline = u.call(at(1, 11), 600, peer="+8613010199999", location="JP")
    u.call(at(1, 12), 60, peer="+8610010", location="JP")
    u.call(at(5, 9), 60, peer="+442079460958", location="GB")
    u.call(at(5, 10), 60, peer="13800138000", location="GB")
    u.call(at(8, 10), 59, peer="+5511912345678", location="BR")
    u.sms(at(1, 13), peer="+8613800138000", location="JP")
    u.sms(at(1, 14), peer="+8613800138000", location="JP")
    u.sms(at(1, 15), direction=IN, location="JP")
    u.sms(at(5, 11), peer="+8613800138000", location="GB")
    u.data(at(1, 16), 3 * MB, location="JP")
    u.data(at(1, 17), 3 * MB, location="JP")
    u.data(at(2, 10), 100 * MB, location="JP")
    off = u.data(at(2, 11), 1 * MB, location="JP")
    u.data(datetime(2026, 10, 3, 16, 30, tzinfo=UTC), 4 * MB, location="GB")
    u.data(at(4, 8), 1 * KB, location="GB")

    bill, rated = billed(sub, u.records)
    assert lines_of(bill) == {
        LineCode.MONTHLY_FEE: "46.00",
        LineCode.ROAMING_VOICE: "44.60",
        LineCode.ROAMING_SMS: "6.58",
        LineCode.ROAMING_DATA: "100.00",
    }
    assert str(bill.total) == "197.18"
    by_id = {r.record.id: r for r in rated}
    assert by_id[hotline.id].charge == Money(0)
    assert (by_id[off.id].units, by_id[off.id].charge) == (0, Money(0))
    packs = [str(r.charge) for r in rated if r.line is LineCode.ROAMING_DATA]
    assert packs == ["5.00", "5.00", "80.00", "0.00", "10.00", "0.00"]


def test_day_packs_renew_the_next_beijing_day() -> None:
    """16 packs (80 yuan) on 2 October in JP, then 1 KB on 3 October: a new pack, 5.00."""
    sub = line("13012345678", "3g-a-46")
    u = Usage(sub.msisdn)
    u.data(at(2, 10), 100 * MB, location="JP")
    u.data(at(3, 0, 1), 1, location="JP")
    bill, _ = billed(sub, u.records)
    assert str(amount_of(bill, LineCode.ROAMING_DATA).amount) == "85.00"


# ----------------------------------------------------------------------------------------------
# (h) Incoming calls and the operator's service numbers are free (§1, §2, §9)


def test_incoming_calls_and_calls_to_service_numbers_are_free_even_pay_per_use() -> None:
    """A pay-per-use first month has no allowance, so anything charged would show. Free:
    incoming voice and video, calls to 10010, 10011 and +86 10010 at home, an SMS to 10010,
    a received SMS. Charged: one 60 s call at 0.25. Total 0.25."""
    sub = line("13012345678", "3g-a-46", date(2026, 10, 1), first_month=FirstMonth.PAY_PER_USE)
    u = Usage(sub.msisdn)
    u.incoming(at(2), 600)
    u.video(at(3), 120, direction=IN)
    u.call(at(4), 300, peer="10010")
    u.call(at(5), 60, peer="10011")
    u.call(at(6), 60, peer="+8610010")
    u.sms(at(7), peer="10010")
    u.sms(at(8), direction=IN)
    u.call(at(9), 60)
    bill, rated = billed(sub, u.records)
    assert lines_of(bill) == {
        LineCode.MONTHLY_FEE: "0.00",
        LineCode.VOICE: "0.25",
        LineCode.VIDEO: "0.00",
        LineCode.SMS: "0.00",
    }
    assert [str(r.charge) for r in rated] == ["0.00"] * 7 + ["0.25"]


def test_a_fixed_line_pays_its_rent_and_its_calls() -> None:
    """fixed-basic: 20 rent, 0.10/min; a 125 s call is 3 min = 0.30. Total 20.30."""
    sub = new_subscriber("010-62345678", "fixed-basic", date(2026, 1, 5), CATALOG)
    u = Usage(sub.msisdn)
    u.call(at(3), 125)
    bill, _ = billed(sub, u.records)
    assert str(bill.total) == "20.30"
