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

import attrs

from unicom_cs.catalog import KB, MB, Allowance, Catalog, DataBilling, DataPack, FirstMonth, Plan
from unicom_cs.errors import InvalidValue
from unicom_cs.money import ZERO, Money, halve_fee
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
    """Running totals of one bill line."""

    records: int = 0
    units: int = 0
    over: int = 0
    charge: Money = ZERO
    free: int = 0  # records that were free (incoming, service numbers)

    def add(self, rated: RatedRecord, over: int = 0, free: bool = False) -> None:
        self.records += 1
        self.units += rated.units
        self.over += over
        self.charge = self.charge + rated.charge
        self.free += free


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
        self._charge_at_used = ZERO

    def units_of(self, nbytes: int) -> int:
        return _kb(nbytes) if self.per_session_kb else nbytes

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

    def take(self, units: int) -> tuple[int, Money]:
        """Serve a session: (units served, its charge)."""
        served = units if self.cut_off is None else max(0, min(units, self.cut_off - self.used))
        if served == 0:
            return 0, ZERO
        self.used += served
        if self.used <= self.included:  # within the allowance: nothing to price
            return served, ZERO
        # Uncapped: the records add up to the data line; the fee cap is its own (negative) line.
        before = self._charge_at_used
        self._charge_at_used = self.uncapped(self.used)
        return served, self._charge_at_used - before

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
    tallies: dict[LineCode, _Tally] = {}
    zones_seen: dict[str, str] = {}
    rated: list[RatedRecord] = []

    def emit(
        rec: UsageRecord,
        code: LineCode,
        units: int,
        unit: str,
        charge: Money,
        note: str,
        over: int = 0,
        free: bool = False,
    ) -> None:
        rr = RatedRecord(rec, code, units, unit, charge, note)
        rated.append(rr)
        tallies.setdefault(code, _Tally()).add(rr, over, free)

    for rec in sorted(records, key=lambda r: (r.start, r.id)):
        svc = rec.service
        if rec.abroad:
            zone = catalog.zone_for(rec.location)
            zones_seen[zone.id] = zone.name
            if svc in (Service.VOICE, Service.VIDEO):
                minutes = _minutes(rec.duration_s)
                if rec.direction is Direction.IN:
                    rate, why = zone.voice_receive, "receiving"
                elif _national(rec.peer) in catalog.roaming_free_numbers:
                    emit(
                        rec,
                        LineCode.ROAMING_VOICE,
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
                    LineCode.ROAMING_VOICE,
                    minutes,
                    "min",
                    rate.times(minutes),
                    f"{rec.location} {why}: {minutes} min × {rate}",
                    over=minutes,
                )
            elif svc in (Service.SMS, Service.MMS):
                if rec.direction is Direction.IN:
                    emit(
                        rec,
                        LineCode.ROAMING_SMS,
                        1,
                        "msg",
                        ZERO,
                        "received abroad, free",
                        free=True,
                    )
                else:
                    emit(
                        rec,
                        LineCode.ROAMING_SMS,
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
                    LineCode.ROAMING_DATA,
                    served,
                    "KB",
                    zone.day_pack_fee.times(new),
                    note,
                    over=new,
                )
            continue

        if svc in (Service.VOICE, Service.VIDEO):
            code = LineCode.VOICE if svc is Service.VOICE else LineCode.VIDEO
            minutes = _minutes(rec.duration_s)
            if rec.direction is Direction.IN and plan.incoming_free:
                emit(rec, code, minutes, "min", ZERO, "incoming, free", free=True)
                continue
            if _national(rec.peer) in catalog.free_numbers:
                emit(rec, code, minutes, "min", ZERO, f"service number {rec.peer}, free", free=True)
                continue
            pool = voice if svc is Service.VOICE else video
            rate = plan.voice_rate if svc is Service.VOICE else plan.video_rate
            over = pool.draw(minutes)
            note = f"{minutes} min" + (f", {over} over × {rate}" if over else ", included")
            emit(rec, code, minutes, "min", rate.times(over), note, over=over)
        elif svc in (Service.SMS, Service.MMS):
            code = LineCode.SMS if svc is Service.SMS else LineCode.MMS
            if rec.direction is Direction.IN:
                emit(rec, code, 1, "msg", ZERO, "received, free", free=True)
            elif _national(rec.peer) in catalog.free_numbers:
                emit(rec, code, 1, "msg", ZERO, f"to service number {rec.peer}, free", free=True)
            elif svc is Service.SMS:
                over = sms.draw(1)
                emit(
                    rec,
                    code,
                    1,
                    "msg",
                    plan.sms_rate.times(over),
                    f"over × {plan.sms_rate}" if over else "included",
                    over=over,
                )
            else:
                emit(rec, code, 1, "msg", plan.mms_rate, f"× {plan.mms_rate}", over=1)
        elif data is None:
            emit(rec, LineCode.DATA, 0, "B", ZERO, f"{plan.id} has no data service: not charged")
        else:
            units = data.units_of(rec.bytes)
            served, charge = data.take(units)
            unit = "KB" if data.per_session_kb else "B"
            note = f"{served:,} {unit}"
            if served < units:
                note += f" of {units:,} (data off above {data.rule.volume_cap_mb:,} MB)"
            emit(rec, LineCode.DATA, served, unit, charge, note)

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
    for code, tally in sorted(tallies.items(), key=lambda kv: LINE_ORDER[kv[0]]):
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
