"""Rating: turning a month of usage records into charges, by the plan's published rules.

Rules implemented (published-tariff-rules.md; section numbers refer to it):
- voice and video calls are charged per call, part-minutes rounded up (§1, §2); incoming calls
  and calls to the operator's service numbers are free (§9); on 4G plans the included minutes
  cover voice and video (§2);
- included minutes and SMS are drawn in call order; what is left over is charged at the rate;
- data (§1–§4) is measured per session in KB rounded up (3G) or as the month's cumulative bytes,
  the part-MB rounded up (4G). Included data is drawn in this order: data carried in from last
  month (it expires first), the plan's own, then add-on packs. Overage follows the plan's rule
  (flat, or the worry-free blocks), bounded by the data-fee cap; above the volume cut-off data
  is off;
- abroad (§5): per-minute roaming rates by zone, SMS to China, receiving SMS free, data in day
  packs (5 yuan buys 5 or 3 MB, renewed up to 16 times a day, then off). Days are Beijing days.

Each record's charge is what it added to its class's charge: for a class charged on the
month's cumulative use (data) that is f(used after) − f(used before), so the records of a
class always add up exactly to the class's charge, whatever their order of arrival.
Records are rated in time order (start, then id), which makes the result independent of the
order in which they were imported.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import date, datetime
from operator import attrgetter

import attrs

from unicom_cs.catalog import KB, MB, Allowance, Catalog, DataBilling, DataPack, FirstMonth, Plan
from unicom_cs.errors import InvalidValue
from unicom_cs.money import ZERO, Money, halve_fee, total
from unicom_cs.number import normalize
from unicom_cs.period import SHANGHAI
from unicom_cs.usage import Direction, Service, UsageRecord


class LineCode(enum.StrEnum):
    """The kinds of bill line, in the order a bill lists them."""

    MONTHLY_FEE = "monthly-fee"
    DATA_PACK = "data-pack"
    SERVICE = "value-added-service"
    VOICE = "voice"
    VIDEO = "video"
    SMS = "sms"
    MMS = "mms"
    DATA = "data"
    DATA_CAP = "data-cap"
    ROAMING_VOICE = "roaming-voice"
    ROAMING_SMS = "roaming-sms"
    ROAMING_DATA = "roaming-data"
    ADJUSTMENT = "adjustment"


LINE_ORDER = {code: i for i, code in enumerate(LineCode)}
LABELS = {
    LineCode.VOICE: "Voice calls",
    LineCode.VIDEO: "Video calls",
    LineCode.SMS: "SMS",
    LineCode.MMS: "MMS",
    LineCode.ROAMING_VOICE: "Roaming calls",
    LineCode.ROAMING_SMS: "Roaming messages",
    LineCode.ROAMING_DATA: "Roaming data",
}


@attrs.frozen
class Terms:
    """What one month of one line is billed on: the plan as the first-month option shapes it."""

    plan: Plan
    option: FirstMonth
    fee: Money
    allowance: Allowance
    packs: tuple[DataPack, ...] = ()
    carry_in_bytes: int = 0
    retained: bool = False  # suspended all month: the retention fee instead of the plan's
    # roaming data reopened (KTSJLL) at these instants: a day whose day packs reached the cap
    # before a reopen may buy that many packs again after it
    data_reopens: tuple[datetime, ...] = ()

    @classmethod
    def retention(cls, plan: Plan, fee: Money, carry_in_bytes: int = 0) -> Terms:
        """A month the line is suspended throughout (停机保号): the number-retention fee, no
        allowance, no packs; carried-in data keeps its expiry."""
        return cls(plan, FirstMonth.FULL, fee, Allowance(), (), carry_in_bytes, retained=True)

    @classmethod
    def of(
        cls,
        plan: Plan,
        option: FirstMonth = FirstMonth.FULL,
        packs: tuple[DataPack, ...] = (),
        carry_in_bytes: int = 0,
    ) -> Terms:
        """Half: fee halved (rounded down to the fen), allowances halved (rounded up).
        Pay-per-use: no fee, no allowance."""
        if option is FirstMonth.HALF:
            return cls(
                plan,
                option,
                halve_fee(plan.monthly_fee),
                plan.allowance.halved(),
                packs,
                carry_in_bytes,
            )
        if option is FirstMonth.PAY_PER_USE:
            return cls(plan, option, ZERO, Allowance(), packs, carry_in_bytes)
        return cls(plan, option, plan.monthly_fee, plan.allowance, packs, carry_in_bytes)


@attrs.frozen
class RatedRecord:
    """A usage record with the bill line it falls in, its billable units and its charge."""

    record: UsageRecord
    line: LineCode
    units: int
    unit: str  # "min", "msg", "KB", "B"
    charge: Money  # exact, before the line's rounding
    note: str


@attrs.frozen
class Charge:
    """One bill line before rounding, with the words that explain it."""

    code: LineCode
    label: str
    amount: Money
    explanation: str


@attrs.frozen
class Remaining:
    """What is left of the month's included units after the usage rated so far (余量).

    `video_minutes` is None where video calls draw on the voice minutes (4G); `data_bytes` is
    None for a plan without data. Data counts every included pool: carried in, the plan's own
    and the month's packs.
    """

    voice_minutes: int = 0
    video_minutes: int | None = 0
    sms: int = 0
    data_bytes: int | None = None


@attrs.frozen
class Rating:
    terms: Terms
    records: tuple[RatedRecord, ...]
    charges: tuple[Charge, ...]
    carry_out_bytes: int  # unused data that carries to the end of next month
    left: Remaining = Remaining()


_UNITS: dict[tuple[bool, Service], tuple[LineCode, str]] = {
    (False, Service.VOICE): (LineCode.VOICE, "min"),
    (False, Service.VIDEO): (LineCode.VIDEO, "min"),
    (False, Service.SMS): (LineCode.SMS, "msg"),
    (False, Service.MMS): (LineCode.MMS, "msg"),
    (False, Service.DATA): (LineCode.DATA, "B"),
    (True, Service.VOICE): (LineCode.ROAMING_VOICE, "min"),
    (True, Service.VIDEO): (LineCode.ROAMING_VOICE, "min"),
    (True, Service.SMS): (LineCode.ROAMING_SMS, "msg"),
    (True, Service.MMS): (LineCode.ROAMING_SMS, "msg"),
    (True, Service.DATA): (LineCode.ROAMING_DATA, "KB"),
}


def unrated(rec: UsageRecord, why: str) -> RatedRecord:
    """A record the line could not have made (blocked by a suspension, a loss report, closed
    roaming): listed with its reason, charged nothing, drawing on no allowance."""
    code, unit = _UNITS[(rec.abroad, rec.service)]
    return RatedRecord(rec, code, 0, unit, ZERO, why)


def _minutes(seconds: int) -> int:
    return -(-seconds // 60)


def _kb(nbytes: int) -> int:
    return -(-nbytes // KB)


def _size(nbytes: int) -> str:
    if nbytes % MB == 0:
        return f"{nbytes // MB:,} MB"
    if nbytes % KB == 0:
        return f"{nbytes // KB:,} KB"
    return f"{nbytes:,} bytes"


@attrs.define
class _Pool:
    """Included units of one class (minutes or messages), drawn in call order."""

    included: int
    left: int = attrs.field()

    @left.default
    def _left(self) -> int:
        return self.included

    def draw(self, units: int) -> int:
        """Take what is left of `units` from the allowance; return the units over."""
        free = min(units, self.left)
        self.left -= free
        return units - free

    @property
    def used(self) -> int:
        return self.included - self.left


@attrs.define
class _Tally:
    """Running totals of one bill line.

    The records' charges are kept, in rating order, and added when the line is made (`charge`):
    `total` adds them in that order, from zero, in the money context, which is exactly the sum
    that adding them one by one as `Money` gave, without a `Money` per record.
    """

    code: LineCode
    records: int = 0
    units: int = 0
    over: int = 0
    free: int = 0  # records that were free (incoming, service numbers)
    charges: list[Money] = attrs.Factory(list)  # each record's, in rating order

    @property
    def charge(self) -> Money:
        """The line's exact charge: its records' charges added (once per bill line)."""
        return total(self.charges)


class _Rate:
    """A per-unit rate with what every record needs of it worked out once per rating: most
    records are within the allowance, and `rate.times(0)` is the same exact zero every time
    (with the rate's exponent: 0.10 × 0 is 0.00, which the line's exact amount keeps); and
    the rate as a note prints it (``f"{rate}"`` is `str(rate)`)."""

    __slots__ = ("money", "nothing", "text")

    def __init__(self, money: Money) -> None:
        self.money = money
        self.nothing = money.times(0)
        self.text = str(money)

    def times(self, units: int) -> Money:
        return self.money.times(units) if units else self.nothing


class _FreeNumbers(dict[str, bool]):
    """Whether a dialled number is one of `numbers` once separators and +86 are taken off,
    worked out once per distinct number: a line calls the same few numbers all month."""

    def __init__(self, numbers: frozenset[str]) -> None:
        super().__init__()
        self.numbers = numbers

    def __missing__(self, peer: str) -> bool:
        free = self[peer] = _national(peer) in self.numbers
        return free


class _DataMeter:
    """Domestic data: units per session, included pools in order, overage rule, cap, cut-off."""

    def __init__(self, terms: Terms) -> None:
        rule = terms.plan.data
        assert rule is not None
        self.rule = rule
        self.per_session_kb = rule.billing is DataBilling.KB_PER_SESSION
        self.unit_bytes = KB if self.per_session_kb else 1
        own = terms.allowance.data_mb * MB
        self.pools = [
            ("carried in", terms.carry_in_bytes, False),
            ("plan", own, rule.rollover),
            *((f"pack {p.id}", p.data_mb * MB, p.carry_over) for p in terms.packs),
        ]
        self.included = sum(b for _, b, _ in self.pools) // self.unit_bytes
        cap = rule.volume_cap_mb
        self.cut_off = None if cap is None else cap * MB // self.unit_bytes
        self.used = 0
        self._charge_at_used = ZERO  # the uncapped charge of the data used so far
        self._over_at_used = -1  # the overage it was priced at (-1: none priced yet)

    def over_units(self, used: int) -> int:
        """Overage in the rule's charging unit (KB, or MB with the month's part-MB rounded up)."""
        over = max(0, used - self.included)
        return over if self.per_session_kb else -(-over // MB)

    def uncapped(self, used: int) -> Money:
        return self.rule.overage_charge(self.over_units(used))

    def charge(self, used: int) -> Money:
        g = self.uncapped(used)
        cap = self.rule.fee_cap
        return g if cap is None or g <= cap else cap

    def take(self, nbytes: int) -> tuple[int, int, Money]:
        """Serve a session of `nbytes`: (its units, the units served, its charge)."""
        units = _kb(nbytes) if self.per_session_kb else nbytes
        served = units if self.cut_off is None else max(0, min(units, self.cut_off - self.used))
        if served == 0:
            return units, 0, ZERO
        self.used += served
        if self.used <= self.included:  # within the allowance: nothing to price
            return units, served, ZERO
        # Uncapped: the records add up to the data line; the fee cap is its own (negative) line.
        before = self._charge_at_used
        over = self.over_units(self.used)
        if over != self._over_at_used:  # else the same overage, the same charge as before
            self._over_at_used = over
            self._charge_at_used = self.rule.overage_charge(over)
        return units, served, self._charge_at_used - before

    def left_bytes(self) -> int:
        """Included data not used yet, in bytes."""
        return max(0, self.included - self.used) * self.unit_bytes

    def carry_out_bytes(self) -> int:
        drawn = min(self.used * self.unit_bytes, self.included * self.unit_bytes)
        out = 0
        for _, size, carries in self.pools:
            take = min(drawn, size)
            drawn -= take
            if carries:
                out += size - take
        return out


class _DayPacks:
    """Roaming data day packs: a pack of the zone's size for its fee, bought as data is used,
    at most `most` packs a Beijing day whatever the zones (16 × 5 yuan = the 80-yuan daily cap);
    then data is off until the next day, or until the customer reopens it (KTSJLL): a reopen
    after the cap was reached lets the day buy up to `most` packs again. A reopen while data
    is still on changes nothing (it cannot raise the cap in advance)."""

    def __init__(self, reopens: Iterable[datetime] = ()) -> None:
        self.used_kb: dict[tuple[str, date], int] = {}  # per zone and day
        self.packs: dict[tuple[str, date], int] = {}  # per zone and day
        self.day_packs: dict[date, int] = {}  # per day, all zones, since the last reopen
        self.reopens = sorted(reopens, reverse=True)  # pending, the earliest last

    def reopen_until(self, instant: datetime, most: int) -> None:
        """Apply the reopens made up to `instant`: each one reopens a capped day."""
        while self.reopens and self.reopens[-1] <= instant:
            day = self.reopens.pop().astimezone(SHANGHAI).date()
            if self.day_packs.get(day, 0) >= most:
                self.day_packs[day] = 0

    def take(self, zone_id: str, day: date, kb: int, pack_kb: int, most: int) -> tuple[int, int]:
        """(KB served, packs newly bought)."""
        key = (zone_id, day)
        used = self.used_kb.get(key, 0)
        held = self.packs.get(key, 0)
        can_hold = held + max(0, most - self.day_packs.get(day, 0))
        served = max(0, min(kb, can_hold * pack_kb - used))
        used += served
        new = -(-used // pack_kb) - held
        self.used_kb[key] = used
        self.packs[key] = held + new
        self.day_packs[day] = self.day_packs.get(day, 0) + new
        return served, new


def _national(peer: str) -> str:
    """A dialled number without separators and without China's +86 / 0086 prefix."""
    p = peer.replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086"):
        if p.startswith(prefix):
            return p[len(prefix) :]
    return p


def _to_china(peer: str) -> bool:
    """Whether a number dialled abroad is in China.

    From abroad a Chinese number is dialled with +86 or 0086; switches also record calls to a
    Chinese mobile as its bare 11 digits (1 and then 3 to 9: a North American number written
    with its country code, 1 and an area code, has 2 to 9 after the 1 only when it is not a
    Chinese mobile segment). Anything else, such as a local "03…" number, is local.
    """
    p = peer.replace(" ", "").replace("-", "")
    if p.startswith(("+86", "0086")):
        return True
    if len(p) != 11 or not p.isdigit() or p[0] != "1" or p[1] not in "3456789":
        return False
    try:
        normalize(p)
    except InvalidValue:
        return False
    return True


# Records are rated in time order: by start, then id (the same key as (r.start, r.id)).
_TIME_ORDER: Callable[[UsageRecord], tuple[datetime, str]] = attrgetter("start", "id")
# The members the rating loop tests, as plain names. On Python 3.11 the enum metaclass defines
# __getattr__, which keeps reading a member from its class (`Service.DATA`) off the
# interpreter's fast path: about 0.1 µs a time, several times per record.
_VOICE, _VIDEO, _SMS, _MMS = Service.VOICE, Service.VIDEO, Service.SMS, Service.MMS
_DATA, _IN = Service.DATA, Direction.IN


def rate_usage(records: Iterable[UsageRecord], terms: Terms, catalog: Catalog) -> Rating:
    """Rate one line's records for one month under `terms`.

    Args:
        records: the line's records of the month, in any order.
        terms: the month's plan, fee, allowance, packs and carried-in data (`Terms.of`).
        catalog: for roaming zones and the free service numbers.

    Returns:
        Each record rated, the month's charges (fee, packs, one per usage class that had
        usage, a negative cap line where the data-fee cap bit) and the data carried out.
    """
    plan = terms.plan
    al = terms.allowance
    voice = _Pool(al.voice_minutes)
    video = voice if plan.video_uses_voice_minutes else _Pool(al.video_minutes)
    sms = _Pool(al.sms)
    data = _DataMeter(terms) if plan.data is not None else None
    days = _DayPacks(terms.data_reopens)
    # One tally per bill line, made up front so that a record goes to its line without a
    # look-up; a line with no records gets no charge.
    tallies = {code: _Tally(code) for code in LineCode}
    voice_line, video_line = tallies[LineCode.VOICE], tallies[LineCode.VIDEO]
    sms_line, mms_line = tallies[LineCode.SMS], tallies[LineCode.MMS]
    data_line = tallies[LineCode.DATA]
    roaming_voice, roaming_sms = tallies[LineCode.ROAMING_VOICE], tallies[LineCode.ROAMING_SMS]
    roaming_data = tallies[LineCode.ROAMING_DATA]
    zones_seen: dict[str, str] = {}
    rated: list[RatedRecord] = []
    # What is the same for every record, worked out once per call rather than per record.
    # A domestic call's bill line, included minutes and per-minute rate:
    voice_call = (voice_line, voice, _Rate(plan.voice_rate))
    video_call = (video_line, video, _Rate(plan.video_rate))
    sms_rate, mms_rate = _Rate(plan.sms_rate), _Rate(plan.mms_rate)
    incoming_free = plan.incoming_free
    free_at_home = _FreeNumbers(catalog.free_numbers)
    data_unit = "KB" if data is not None and data.per_session_kb else "B"

    def emit(
        rec: UsageRecord,
        line: _Tally,
        units: int,
        unit: str,
        charge: Money,
        note: str,
        over: int = 0,
        free: bool = False,
    ) -> None:
        rated.append(RatedRecord(rec, line.code, units, unit, charge, note))
        line.records += 1
        line.units += units
        line.over += over
        line.charges.append(charge)
        line.free += free

    for rec in sorted(records, key=_TIME_ORDER):
        svc = rec.service
        if rec.abroad:
            zone = catalog.zone_for(rec.location)
            zones_seen[zone.id] = zone.name
            if svc is _VOICE or svc is _VIDEO:
                minutes = _minutes(rec.duration_s)
                if rec.direction is _IN:
                    rate, why = zone.voice_receive, "receiving"
                elif _national(rec.peer) in catalog.roaming_free_numbers:
                    emit(
                        rec,
                        roaming_voice,
                        minutes,
                        "min",
                        ZERO,
                        f"roaming hotline {rec.peer}, free",
                        free=True,
                    )
                    continue
                elif _to_china(rec.peer):
                    rate, why = zone.voice_to_china, "call to China"
                else:
                    rate, why = zone.voice_local, "local call"
                emit(
                    rec,
                    roaming_voice,
                    minutes,
                    "min",
                    rate.times(minutes),
                    f"{rec.location} {why}: {minutes} min × {rate}",
                    over=minutes,
                )
            elif svc is _SMS or svc is _MMS:
                if rec.direction is _IN:
                    emit(rec, roaming_sms, 1, "msg", ZERO, "received abroad, free", free=True)
                else:
                    emit(
                        rec,
                        roaming_sms,
                        1,
                        "msg",
                        zone.sms_to_china,
                        f"{rec.location} message: {zone.sms_to_china}",
                        over=1,
                    )
            else:
                kb = _kb(rec.bytes)
                day = rec.start.astimezone(SHANGHAI).date()
                pack_kb = zone.day_pack_mb * 1024
                days.reopen_until(rec.start, zone.day_pack_max)
                served, new = days.take(zone.id, day, kb, pack_kb, zone.day_pack_max)
                note = f"{rec.location} {day}: {served:,} KB"
                if served < kb:
                    note += (
                        f" of {kb:,} (data off after {zone.day_pack_max} day packs; "
                        "SMS KTSJLL to 10010 reopens it)"
                    )
                if new:
                    note += f"; {new} day pack(s) × {zone.day_pack_fee}"
                emit(
                    rec,
                    roaming_data,
                    served,
                    "KB",
                    zone.day_pack_fee.times(new),
                    note,
                    over=new,
                )
            continue

        if svc is _DATA:  # the commonest record, tested first
            if data is None:
                note = f"{plan.id} has no data service: not charged"
                emit(rec, data_line, 0, "B", ZERO, note)
                continue
            units, served, charge = data.take(rec.bytes)
            note = f"{served:,} {data_unit}"
            if served < units:
                note += f" of {units:,} (data off above {data.rule.volume_cap_mb:,} MB)"
            emit(rec, data_line, served, data_unit, charge, note)
        elif svc is _VOICE or svc is _VIDEO:
            line, pool, per_minute = voice_call if svc is _VOICE else video_call
            minutes = _minutes(rec.duration_s)
            if rec.direction is _IN and incoming_free:
                emit(rec, line, minutes, "min", ZERO, "incoming, free", free=True)
            elif free_at_home[rec.peer]:
                emit(rec, line, minutes, "min", ZERO, f"service number {rec.peer}, free", free=True)
            elif over := pool.draw(minutes):
                note = f"{minutes} min, {over} over × {per_minute.text}"
                emit(rec, line, minutes, "min", per_minute.times(over), note, over=over)
            else:
                emit(rec, line, minutes, "min", per_minute.nothing, f"{minutes} min, included")
        else:
            line = sms_line if svc is _SMS else mms_line
            if rec.direction is _IN:
                emit(rec, line, 1, "msg", ZERO, "received, free", free=True)
            elif free_at_home[rec.peer]:
                emit(rec, line, 1, "msg", ZERO, f"to service number {rec.peer}, free", free=True)
            elif svc is _MMS:
                emit(rec, line, 1, "msg", mms_rate.money, f"× {mms_rate.text}", over=1)
            elif over := sms.draw(1):
                note = f"over × {sms_rate.text}"
                emit(rec, line, 1, "msg", sms_rate.times(over), note, over=over)
            else:
                emit(rec, line, 1, "msg", sms_rate.nothing, "included")

    charges = [_fee_charge(terms)]
    charges.extend(
        Charge(
            LineCode.DATA_PACK,
            f"Data pack {p.name}",
            p.fee,
            f"{p.name}: {p.fee} for {p.data_mb} MB this month, used after the plan's own data"
            + (", unused data carries to the end of next month" if p.carry_over else ""),
        )
        for p in terms.packs
    )
    explain: dict[LineCode, Callable[[_Tally], str]] = {
        LineCode.VOICE: lambda t: _explain_pool(
            t, "Voice", voice, plan.voice_rate, "min", shared=plan.video_uses_voice_minutes
        ),
        LineCode.VIDEO: lambda t: _explain_pool(
            t, "Video calls", video, plan.video_rate, "min", shared=plan.video_uses_voice_minutes
        ),
        LineCode.SMS: lambda t: _explain_pool(t, "SMS", sms, plan.sms_rate, "msg"),
        LineCode.MMS: lambda t: (
            f"MMS: {t.records} message(s), {t.free} free; {t.over} × {plan.mms_rate} = {t.charge}"
        ),
        LineCode.ROAMING_VOICE: lambda t: (
            f"International roaming calls ({_zones(zones_seen)}): "
            f"{t.units} min in {t.records} call(s), each rounded up "
            f"to the minute at the zone's rates = {t.charge}"
        ),
        LineCode.ROAMING_SMS: lambda t: (
            f"International roaming messages: {t.over} sent = {t.charge}; {t.free} received free"
        ),
        LineCode.ROAMING_DATA: lambda t: (
            f"International roaming data: {t.units:,} KB in "
            f"{t.records} session(s), each rounded up to the KB; "
            f"{t.over} day pack(s) = {t.charge}"
        ),
    }
    for code, tally in tallies.items():  # made in LineCode's order, which is bill order
        if not tally.records:
            continue
        if code is LineCode.DATA:
            charges.extend(_data_charges(tally, data, plan))
            continue
        charges.append(Charge(code, LABELS[code], tally.charge, explain[code](tally)))
    carry = data.carry_out_bytes() if data is not None else 0
    left = Remaining(
        voice.left,
        None if plan.video_uses_voice_minutes else video.left,
        sms.left,
        None if data is None else data.left_bytes(),
    )
    return Rating(terms, tuple(rated), tuple(charges), carry, left)


def _zones(seen: dict[str, str]) -> str:
    return ", ".join(sorted(seen.values()))


def _fee_charge(terms: Terms) -> Charge:
    plan = terms.plan
    if terms.retained:
        return Charge(
            LineCode.MONTHLY_FEE,
            "Number retention fee",
            terms.fee,
            f"Line suspended all month (停机保号): number-retention fee {terms.fee} instead of "
            f"the {plan.id} monthly fee {plan.monthly_fee}",
        )
    what = {
        FirstMonth.FULL: (
            f"{plan.name}: monthly fee {terms.fee}, charged in full at the start of the month"
        ),
        FirstMonth.HALF: (
            f"{plan.name}: first month at half fee and half allowance (半价半量): "
            f"{plan.monthly_fee} ÷ 2 rounded down to the fen = {terms.fee}; included "
            f"amounts halved and rounded up"
        ),
        FirstMonth.PAY_PER_USE: (
            f"{plan.name}: first month pay-per-use: no monthly fee, every "
            f"unit at the out-of-package rate"
        ),
    }[terms.option]
    return Charge(LineCode.MONTHLY_FEE, f"Monthly fee {plan.id}", terms.fee, what)


def _explain_pool(
    t: _Tally, name: str, pool: _Pool, rate: Money, unit: str, shared: bool = False
) -> str:
    rounding = ", each call rounded up to the minute" if unit == "min" else ""
    inc = "included minutes shared by voice and video" if shared else "included"
    return (
        f"{name}: {t.units:,} {unit} in {t.records} record(s){rounding}; {t.free} free "
        f"(incoming or service numbers); {pool.used:,} of {pool.included:,} {inc} used; "
        f"{t.over:,} {unit} over × {rate} = {t.charge}"
    )


def _data_charges(t: _Tally, data: _DataMeter | None, plan: Plan) -> list[Charge]:
    if data is None:
        return [Charge(LineCode.DATA, "Data", ZERO, f"Data: {plan.id} has no data service")]
    rule = data.rule
    unit = "KB" if data.per_session_kb else "bytes"
    used, inc = data.used, data.included
    how = (
        "each session rounded up to the KB"
        if data.per_session_kb
        else "the month's cumulative part-MB rounded up to 1 MB"
    )
    pools = "; ".join(f"{name} {_size(size)}" for name, size, _ in data.pools if size)
    over = data.over_units(used)
    over_unit = "KB" if data.per_session_kb else "MB"
    uncapped = data.uncapped(used)
    if rule.block_units is not None and rule.block_fee is not None:
        blocks, tail = divmod(over, rule.block_units)
        billed_tail = tail if rule.block_tail_units is None else min(tail, rule.block_tail_units)
        price = (
            f"{blocks} × {rule.block_fee} per {rule.block_units:,} {over_unit} + "
            f"{billed_tail:,} {over_unit} × {rule.rate}"
            + (
                f" (the part above {rule.block_tail_units} {over_unit} of a block is free)"
                if tail > billed_tail
                else ""
            )
        )
    else:
        price = f"{over:,} {over_unit} × {rule.rate}"
    text = (
        f"Data: {used:,} {unit} used in {t.records} session(s), {how}; included: "
        f"{pools or 'none'} ({inc:,} {unit}); {over:,} {over_unit} over: {price} = {uncapped}"
    )
    if data.cut_off is not None and used >= data.cut_off:
        text += f"; data was switched off at the {rule.volume_cap_mb:,} MB cut-off"
    out = [Charge(LineCode.DATA, "Data", uncapped, text)]
    capped = data.charge(used)
    if capped != uncapped:
        out.append(
            Charge(
                LineCode.DATA_CAP,
                "Data-fee cap",
                capped - uncapped,
                f"Data overage is capped at {rule.fee_cap} a month: "
                f"{uncapped} − {rule.fee_cap} = {uncapped - capped} not charged",
            )
        )
    return out
