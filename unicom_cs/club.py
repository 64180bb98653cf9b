"""The customer club (客户俱乐部, hotline 10018): star levels, their privileges, special services.

The published rule (tariff rules §7, third-party pages of medium to low reliability):

- a line is rated from the **7th natural month** after joining. Here the activation month counts
  as month 1, whatever day of it the line joined: a line activated on any day of March 2025 is in
  its 7th natural month in September 2025, and is first rated then (`first_rated_month`);
- only **personal mobile lines in service** are rated: data cards (上网卡, data-only plans),
  fixed lines and broadband are not, and neither are closed lines. The library has no corporate
  accounts, so every mobile line counts as personal;
- the **score is spend score × network-age score** over the last 12 months;
- the levels, high to low, are 五星, 贵宾, 忠诚, 四星, 三星, 二星, 一星; privileges vary by
  province: priority access, birthday SMS, faster broadband repair from 1-star; emergency
  reconnection and international roaming without a deposit at 5-star.

Where the rule is silent, the library chooses, and says so:

- the **window** is the 12 complete natural months before the month of review (`now_month`):
  reviewing in September 2025 reads September 2024 to August 2025. The spend is the average
  issued bill total over the *billed* months of that window: months before activation, and
  months the caller has no issued bill for, do not count (a line 8 months old is averaged over
  its 7 billed months, not over 12);
- **tenure** (网龄) is the number of whole natural months from the activation month up to the
  month of review, the activation month counted whole: a line activated in March 2025 has 6
  months in September 2025 (March to August), the month it is first rated;
- a line suspended (报停) at the start of the month of review is not rated that month; a
  loss-reported line (挂失) keeps its plan and is rated;
- the level is reviewed every month on the rolling window (`ClubStanding.next_review`);
- the score tables, level thresholds, privileges, special-service quotas and the hotline fast
  lane are data: `ClubRules`, parsed from TOML (`parse_club_rules`), with a bundled default
  (`DEFAULT_CLUB_RULES_TOML`, `default_club_rules`). Privileges accumulate: a level has its
  own and every lower level's.

Scores are exact decimals, never floats; the spend band is found by comparing the exact sum of
the bills with the band's lower bound times the number of billed months, so no division rounds.
Nothing here reads a clock: the caller gives the month of review.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, Final

import attrs

from unicom_cs.errors import CatalogError, Conflict, InvalidValue, NotFound, RowError
from unicom_cs.money import FEN, ZERO, D, Money, total
from unicom_cs.number import LineKind
from unicom_cs.period import Month
from unicom_cs.subscriber import LineStatus, Subscriber


class StarLevel(enum.Enum):
    """A club level, ordered low to high: ``StarLevel.ONE < StarLevel.FIVE``.

    The value is the code the rules' TOML names the level by.
    """

    ONE = "one-star"
    TWO = "two-star"
    THREE = "three-star"
    FOUR = "four-star"
    LOYAL = "loyal"
    VIP = "vip"
    FIVE = "five-star"

    @property
    def rank(self) -> int:
        """1 for 一星 up to 7 for 五星."""
        return _RANK[self]

    @property
    def zh(self) -> str:
        return _ZH[self]

    @property
    def en(self) -> str:
        return _EN[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, StarLevel):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, StarLevel):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, StarLevel):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, StarLevel):
            return NotImplemented
        return self.rank >= other.rank

    def __str__(self) -> str:
        return f"{self.zh} ({self.en})"


_RANK: Final = {level: i for i, level in enumerate(StarLevel, start=1)}
_ZH: Final = {
    StarLevel.ONE: "一星",
    StarLevel.TWO: "二星",
    StarLevel.THREE: "三星",
    StarLevel.FOUR: "四星",
    StarLevel.LOYAL: "忠诚",
    StarLevel.VIP: "贵宾",
    StarLevel.FIVE: "五星",
}
_EN: Final = {
    StarLevel.ONE: "One-star",
    StarLevel.TWO: "Two-star",
    StarLevel.THREE: "Three-star",
    StarLevel.FOUR: "Four-star",
    StarLevel.LOYAL: "Loyal",
    StarLevel.VIP: "VIP",
    StarLevel.FIVE: "Five-star",
}
#: Low to high, the order the scores rise in (§7 lists them high to low).
LEVELS: Final = tuple(StarLevel)


# ------------------------------------------------------------------ the rules, as data


@attrs.frozen
class Privilege:
    """One club privilege. A `special` one is a service the member requests (an airport lounge
    visit, an emergency reconnection…), counted against a yearly quota."""

    code: str
    zh: str
    en: str
    special: bool = False


@attrs.frozen
class SpendBand:
    """Average monthly spend of at least `from_amount` scores `score`."""

    from_amount: Money
    score: Decimal


@attrs.frozen
class AgeBand:
    """A tenure of at least `from_months` whole natural months scores `score`."""

    from_months: int
    score: Decimal


@attrs.frozen
class LevelRule:
    """A level: the least score that reaches it, the privileges it adds to the levels below,
    and its yearly quota of each special service (missing: the level below's quota)."""

    level: StarLevel
    min_score: Decimal
    adds: tuple[str, ...] = ()
    quota: tuple[tuple[str, int], ...] = ()


@attrs.frozen
class ClubRules:
    """The club's tables. Bands are in ascending order of their lower bound, levels low to
    high; `parse_club_rules` checks that scores never fall as spend, tenure or level rise."""

    spend_bands: tuple[SpendBand, ...]
    age_bands: tuple[AgeBand, ...]
    levels: tuple[LevelRule, ...]
    privileges: tuple[Privilege, ...]
    fast_lane_from: StarLevel = StarLevel.ONE
    rated_from_natural_month: int = 7
    window_months: int = 12

    def privilege(self, code: str) -> Privilege:
        """Raises: NotFound: a code the rules do not define."""
        for p in self.privileges:
            if p.code == code:
                return p
        raise NotFound("club privilege", code)

    def rule(self, level: StarLevel) -> LevelRule:
        for r in self.levels:
            if r.level is level:
                return r
        raise NotFound("club level", level.value)  # parse_club_rules makes this unreachable

    def spend_score(self, spend_sum: Money, months: int) -> Decimal:
        """The score of an average monthly spend of `spend_sum` over `months` (1 or more),
        compared exactly (sum ≥ bound × months); an average below every band scores as the
        lowest band."""
        score = self.spend_bands[0].score
        for band in self.spend_bands:
            if spend_sum >= band.from_amount.times(months):
                score = band.score
        return score

    def age_score(self, tenure_months: int) -> Decimal:
        score = self.age_bands[0].score
        for band in self.age_bands:
            if tenure_months >= band.from_months:
                score = band.score
        return score

    def level_for(self, score: Decimal) -> StarLevel | None:
        """The highest level whose least score `score` reaches; None below every level."""
        found = None
        for r in self.levels:
            if score >= r.min_score:
                found = r.level
        return found

    def privileges_of(self, level: StarLevel | None) -> tuple[Privilege, ...]:
        """A level's privileges: its own and every lower level's, lowest level's first."""
        if level is None:
            return ()
        codes = [c for r in self.levels if r.level <= level for c in r.adds]
        return tuple(self.privilege(c) for c in codes)

    def quota(self, level: StarLevel, code: str) -> int | None:
        """How many times a year `level` may request special service `code`: the quota the
        level states, else the nearest lower level's; None when the level has no such right."""
        if code not in {p.code for p in self.privileges_of(level)}:
            return None
        found = None
        for r in self.levels:
            if r.level <= level:
                found = dict(r.quota).get(code, found)
        return found


#: The library's default club rules. The published rule (§7) names the levels and says the score
#: is spend × network age; every number below is the library's choice.
DEFAULT_CLUB_RULES_TOML: Final = """
# Rated from the 7th natural month, the activation month being month 1 (tariff rules §7).
rated_from_natural_month = 7
# The spend is averaged over the billed months of the 12 complete months before the review.
window_months = 12
# 10010 puts every rated line in the priority queue: §7 gives priority access from 1-star.
fast_lane_from = "one-star"

# Spend score by average monthly bill total, in yuan (library's choice): under 50 scores 1,
# 50 to under 100 scores 2, 100-200 scores 3, 200-300 scores 4, 300-500 scores 5, 500 and over 6.
spend_score = [
  { from = "0", score = "1" },
  { from = "50", score = "2" },
  { from = "100", score = "3" },
  { from = "200", score = "4" },
  { from = "300", score = "5" },
  { from = "500", score = "6" },
]

# Network-age score by tenure in whole natural months (library's choice), exact decimals:
# 0-11 months 1.0, 12-35 months 1.2, 36-59 months 1.5, 60 months (5 years) and over 2.0.
age_score = [
  { from_months = 0, score = "1.0" },
  { from_months = 12, score = "1.2" },
  { from_months = 36, score = "1.5" },
  { from_months = 60, score = "2.0" },
]

# The least score (spend × age) of each level, low to high (library's choice). Every rated line
# is at least 一星 (the least score is 1 × 1.0). Examples: 156 yuan a month for 40 months is
# 3 × 1.5 = 4.5, 四星; 320 yuan for 40 months is 5 × 1.5 = 7.5, 贵宾; 520 yuan for 36 months is
# 6 × 1.5 = 9, 五星.
# `adds`: the privileges a level adds to those of the levels below it.
# `quota`: times a calendar year a special service may be requested; a level that does not state
# a quota has the level below's.

[levels.one-star]        # 一星
min_score = "1"
adds = ["priority-queue", "birthday-sms", "broadband-repair"]

[levels.two-star]        # 二星
min_score = "2"
adds = ["hall-priority"]

[levels.three-star]      # 三星
min_score = "3"
adds = ["card-delivery"]
quota = { card-delivery = 1 }

[levels.four-star]       # 四星
min_score = "4.5"
adds = ["credit-uplift"]
quota = { card-delivery = 2 }

[levels.loyal]           # 忠诚
min_score = "6"
adds = ["airport-lounge"]
quota = { airport-lounge = 2 }

[levels.vip]             # 贵宾
min_score = "7.5"
adds = ["hall-vip-room"]
quota = { airport-lounge = 4 }

[levels.five-star]       # 五星
min_score = "9"
adds = ["emergency-reconnection", "roaming-no-deposit", "dedicated-agent"]
quota = { airport-lounge = 6, card-delivery = 3, emergency-reconnection = 3 }

[privileges.priority-queue]
zh = "10010 人工服务优先接入"
en = "Priority access to the 10010 agent queue"

[privileges.birthday-sms]
zh = "生日祝福短信"
en = "Birthday greeting SMS"

[privileges.broadband-repair]
zh = "宽带故障优先修复"
en = "Faster broadband fault repair"

[privileges.hall-priority]
zh = "营业厅优先办理"
en = "Priority service in business halls"

[privileges.card-delivery]
zh = "补换卡免费送卡上门"
en = "SIM card replacement delivered free to the door"
special = true

[privileges.credit-uplift]
zh = "信用额度提升"
en = "Higher credit limit"

[privileges.airport-lounge]
zh = "机场贵宾厅服务"
en = "Airport VIP lounge"
special = true

[privileges.hall-vip-room]
zh = "营业厅贵宾室"
en = "VIP room in business halls"

[privileges.emergency-reconnection]
zh = "紧急开机：欠费停机后保持通信 3 天"
en = "Emergency reconnection: service kept for 3 days in arrears"
special = true

[privileges.roaming-no-deposit]
zh = "免押金开通国际漫游"
en = "International roaming without a deposit"

[privileges.dedicated-agent]
zh = "专席客服"
en = "Dedicated agent seat"
"""

_TOP_KEYS: Final = frozenset(
    {
        "rated_from_natural_month",
        "window_months",
        "fast_lane_from",
        "spend_score",
        "age_score",
        "levels",
        "privileges",
    }
)
_LEVEL_CODES: Final = ", ".join(level.value for level in StarLevel)


def parse_club_rules(text: str, source: str = "<club rules>") -> ClubRules:
    """Club rules from TOML: ``spend_score`` and ``age_score`` band lists, ``[levels.CODE]``
    tables (``min_score``, ``adds``, ``quota``) for every `StarLevel` code, ``[privileges.CODE]``
    tables (``zh``, ``en``, ``special``), and ``fast_lane_from``, ``rated_from_natural_month``
    and ``window_months``. Amounts and scores are strings or integers, never floats.

    Raises:
        CatalogError: every problem, each with its key path (kind "club rules").
    """
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(source, (RowError("toml", str(e)),), "club rules") from None
    errors: list[RowError] = []
    for key in sorted(set(doc) - _TOP_KEYS):
        errors.append(RowError(key, "unknown key"))
    rated_from = _whole(doc, "rated_from_natural_month", 7, 1, errors)
    window = _whole(doc, "window_months", 12, 1, errors)
    fast_lane = _level_code(
        doc.get("fast_lane_from", StarLevel.ONE.value), "fast_lane_from", errors
    )
    spend = _bands(doc, "spend_score", "from", errors)
    age = _bands(doc, "age_score", "from_months", errors)
    privileges = _privileges(doc.get("privileges"), errors)
    levels = _levels(doc.get("levels"), {p.code: p for p in privileges}, errors)
    if errors:
        raise CatalogError(source, tuple(errors), "club rules")
    assert fast_lane is not None
    return ClubRules(
        spend_bands=tuple(SpendBand(Money(bound), score) for bound, score in spend),
        age_bands=tuple(AgeBand(int(bound), score) for bound, score in age),
        levels=levels,
        privileges=privileges,
        fast_lane_from=fast_lane,
        rated_from_natural_month=rated_from,
        window_months=window,
    )


def _whole(
    doc: Mapping[str, Any], key: str, default: int, least: int, errors: list[RowError]
) -> int:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        errors.append(RowError(key, f"expected a whole number, {least} or more; got {value!r}"))
        return default
    return value


def _level_code(value: object, where: str, errors: list[RowError]) -> StarLevel | None:
    try:
        return StarLevel(value)
    except ValueError:
        errors.append(RowError(where, f"unknown level {value!r}: one of {_LEVEL_CODES}"))
        return None


def _decimal(value: object, where: str, errors: list[RowError]) -> Decimal | None:
    if isinstance(value, float):
        errors.append(RowError(where, f'{value!r} is a float: write it as a string, "{value}"'))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        errors.append(RowError(where, f'expected a decimal string such as "1.5", got {value!r}'))
        return None
    try:
        return D(value)
    except InvalidValue as e:
        errors.append(RowError(where, e.reason + f" ({value!r})"))
        return None


def _bands(
    doc: Mapping[str, Any], key: str, bound_key: str, errors: list[RowError]
) -> list[tuple[Decimal, Decimal]]:
    """Bands as (lower bound, score): the first from 0, bounds rising, scores positive and
    never falling (so that more spend or tenure never lowers a level)."""
    tables = doc.get(key)
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        errors.append(RowError(key, f"expected a list of {{ {bound_key} = …, score = … }} tables"))
        return []
    bands: list[tuple[Decimal, Decimal]] = []
    before = len(errors)
    for i, table in enumerate(tables):
        path = f"{key}[{i}]"
        for extra in sorted(set(table) - {bound_key, "score"}):
            errors.append(RowError(f"{path}.{extra}", "unknown key"))
        if bound_key not in table or "score" not in table:
            errors.append(RowError(path, f"needs {bound_key} and score"))
            continue
        raw_bound = table[bound_key]
        if bound_key == "from_months" and (
            isinstance(raw_bound, bool) or not isinstance(raw_bound, int)
        ):
            errors.append(
                RowError(f"{path}.{bound_key}", f"expected whole months, got {raw_bound!r}")
            )
            continue
        bound = _decimal(raw_bound, f"{path}.{bound_key}", errors)
        score = _decimal(table["score"], f"{path}.score", errors)
        if bound is None or score is None:
            continue
        if score <= 0:
            errors.append(RowError(f"{path}.score", f"must be more than 0, got {score}"))
            continue
        if not bands and bound != 0:
            errors.append(
                RowError(f"{path}.{bound_key}", f"the first band starts at 0, not {bound}")
            )
        elif bands and bound <= bands[-1][0]:
            errors.append(
                RowError(f"{path}.{bound_key}", f"{bound} does not rise above {bands[-1][0]}")
            )
        elif bands and score < bands[-1][1]:
            errors.append(
                RowError(f"{path}.score", f"{score} falls below the band before ({bands[-1][1]})")
            )
        bands.append((bound, score))
    return bands if len(errors) == before else []


def _privileges(tables: object, errors: list[RowError]) -> tuple[Privilege, ...]:
    if not isinstance(tables, dict) or not tables:
        errors.append(RowError("privileges", "expected [privileges.CODE] tables"))
        return ()
    out = []
    for code, table in tables.items():
        path = f"privileges.{code}"
        if not isinstance(table, dict):
            errors.append(RowError(path, "expected a table with zh and en"))
            continue
        for extra in sorted(set(table) - {"zh", "en", "special"}):
            errors.append(RowError(f"{path}.{extra}", "unknown key"))
        texts = {}
        for lang in ("zh", "en"):
            value = table.get(lang)
            if not isinstance(value, str) or not value.strip():
                errors.append(RowError(f"{path}.{lang}", "missing: the privilege's text"))
            else:
                texts[lang] = value.strip()
        special = table.get("special", False)
        if not isinstance(special, bool):
            errors.append(RowError(f"{path}.special", f"expected true or false, got {special!r}"))
        elif len(texts) == 2:
            out.append(Privilege(code, texts["zh"], texts["en"], special))
    return tuple(out)


def _levels(
    tables: object, privileges: Mapping[str, Privilege], errors: list[RowError]
) -> tuple[LevelRule, ...]:
    if not isinstance(tables, dict):
        errors.append(RowError("levels", "expected [levels.CODE] tables"))
        return ()
    for code in tables:
        if code not in {level.value for level in StarLevel}:
            errors.append(RowError(f"levels.{code}", f"unknown level: one of {_LEVEL_CODES}"))
    out: list[LevelRule] = []
    granted: dict[str, StarLevel] = {}  # privilege code -> the level that adds it
    quotas: dict[str, int] = {}  # special service -> the quota in force so far
    for level in StarLevel:
        path = f"levels.{level.value}"
        table = tables.get(level.value)
        if not isinstance(table, dict):
            errors.append(RowError(path, f"missing: every level needs a table ({level.zh})"))
            continue
        for extra in sorted(set(table) - {"min_score", "adds", "quota"}):
            errors.append(RowError(f"{path}.{extra}", "unknown key"))
        if "min_score" not in table:
            errors.append(RowError(f"{path}.min_score", "missing"))
            continue
        min_score = _decimal(table["min_score"], f"{path}.min_score", errors)
        if min_score is None:
            continue
        if min_score < 0:
            errors.append(RowError(f"{path}.min_score", f"must be 0 or more, got {min_score}"))
        elif out and min_score <= out[-1].min_score:
            errors.append(
                RowError(
                    f"{path}.min_score",
                    f"{min_score} does not rise above {out[-1].level.zh}'s {out[-1].min_score}",
                )
            )
        adds = table.get("adds", [])
        if not isinstance(adds, list) or not all(isinstance(c, str) for c in adds):
            errors.append(RowError(f"{path}.adds", "expected a list of privilege codes"))
            adds = []
        for code in adds:
            if code not in privileges:
                errors.append(RowError(f"{path}.adds", f"unknown privilege {code!r}"))
            elif code in granted:
                errors.append(
                    RowError(f"{path}.adds", f"{code!r} already comes with {granted[code].zh}")
                )
            else:
                granted[code] = level
        quota = table.get("quota", {})
        if not isinstance(quota, dict):
            errors.append(RowError(f"{path}.quota", "expected a table of special service = times"))
            quota = {}
        for code, times in quota.items():
            where = f"{path}.quota.{code}"
            if code not in granted or not privileges[code].special:
                errors.append(RowError(where, "not a special service this level has"))
            elif isinstance(times, bool) or not isinstance(times, int) or times < 1:
                errors.append(
                    RowError(
                        where, f"expected a whole number of times a year, 1 or more; got {times!r}"
                    )
                )
            else:
                quotas[code] = times
        for code in adds:
            if granted.get(code) is level and privileges[code].special and code not in quotas:
                errors.append(
                    RowError(f"{path}.quota.{code}", "missing: a special service needs a quota")
                )
        out.append(
            LevelRule(
                level,
                min_score,
                tuple(c for c in adds if granted.get(c) is level),
                tuple(sorted((str(c), t) for c, t in quota.items() if isinstance(t, int))),
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def default_club_rules() -> ClubRules:
    """The bundled rules, `DEFAULT_CLUB_RULES_TOML`, parsed once."""
    return parse_club_rules(DEFAULT_CLUB_RULES_TOML, "<bundled club rules>")


# ------------------------------------------------------------------ a line's standing


@attrs.frozen
class ClubStanding:
    """A line's club standing in the month of review.

    `level` is None when the line is not rated, and `reason` says why ("rated from 2025-09",
    "data-only line", "line closed"…); the score fields are then 0 and `window` None.
    `window` is the first and last billed month the average used, `billed_months` how many.
    `next_review` is the next month the level can change: the month after, the first rated
    month for a line too young, None for a line that is never rated (closed, data-only, fixed
    or broadband).
    """

    msisdn: str
    level: StarLevel | None
    reason: str
    score: Decimal
    spend_score: Decimal
    age_score: Decimal
    average_spend: Money  # rounded half-up to the fen, for display; banding uses the exact sum
    tenure_months: int
    window: tuple[Month, Month] | None
    billed_months: int
    privileges: tuple[Privilege, ...]
    next_review: Month | None

    @property
    def rated(self) -> bool:
        return self.level is not None


def first_rated_month(sub: Subscriber, rules: ClubRules | None = None) -> Month:
    """The line's 7th natural month (by default), the activation month being month 1."""
    rules = rules or default_club_rules()
    return sub.first_billed_month.shift(rules.rated_from_natural_month - 1)


def tenure_months(sub: Subscriber, now_month: Month) -> int:
    """Whole natural months from the activation month (counted whole) up to `now_month`
    (not counted); 0 before activation."""
    start = sub.first_billed_month
    return max(0, (now_month.year - start.year) * 12 + now_month.month - start.month)


def club_standing(
    sub: Subscriber,
    monthly_totals: Mapping[Month, Money],
    plan_is_data_only: bool,
    now_month: Month,
    rules: ClubRules,
) -> ClubStanding:
    """The line's club level when reviewed in `now_month`.

    Args:
        sub: the line.
        monthly_totals: the line's issued bill totals by month; only the months of the window
            on or after activation count, and a month without an issued bill is not averaged.
        plan_is_data_only: whether the line's plan is a data card (`orders.data_only(plan)`).
        now_month: the month of review; the window is the `rules.window_months` complete
            months before it.
        rules: the club's tables (`default_club_rules()` for the bundled ones).

    Returns:
        The standing; an unrated line has `level` None and a `reason`.
    """
    tenure = tenure_months(sub, now_month)

    def unrated(reason: str, next_review: Month | None) -> ClubStanding:
        return ClubStanding(
            msisdn=sub.msisdn,
            level=None,
            reason=reason,
            score=Decimal(0),
            spend_score=Decimal(0),
            age_score=Decimal(0),
            average_spend=ZERO,
            tenure_months=tenure,
            window=None,
            billed_months=0,
            privileges=(),
            next_review=next_review,
        )

    closed = sub.closed_at
    if closed is not None and closed < now_month.end:
        return unrated("line closed", None)
    if sub.kind is not LineKind.MOBILE:
        return unrated(f"{sub.kind.value} line: the club rates mobile lines", None)
    if plan_is_data_only:
        return unrated("data-only line", None)
    first = first_rated_month(sub, rules)
    if now_month < first:
        return unrated(f"rated from {first}", first)
    if sub.status_at(now_month.start) is LineStatus.SUSPENDED:
        return unrated(f"line suspended at the start of {now_month}", now_month.next())
    window_start = now_month.shift(-rules.window_months)
    billed = [
        m
        for m in (window_start.shift(i) for i in range(rules.window_months))
        if m >= sub.first_billed_month and m in monthly_totals
    ]
    if not billed:
        last = now_month.previous()
        return unrated(f"no issued bill in {window_start} to {last}", now_month.next())
    spend_sum = total(monthly_totals[m] for m in billed)
    spend_score = rules.spend_score(spend_sum, len(billed))
    age_score = rules.age_score(tenure)
    score = spend_score * age_score
    level = rules.level_for(score)
    average = Money((spend_sum.amount / len(billed)).quantize(FEN, rounding=ROUND_HALF_UP))
    reason = ""
    if level is None:
        lowest = rules.levels[0]
        reason = f"score {score} below {lowest.level.zh} ({lowest.min_score})"
    return ClubStanding(
        msisdn=sub.msisdn,
        level=level,
        reason=reason,
        score=score,
        spend_score=spend_score,
        age_score=age_score,
        average_spend=average,
        tenure_months=tenure,
        window=(billed[0], billed[-1]),
        billed_months=len(billed),
        privileges=rules.privileges_of(level),
        next_review=now_month.next(),
    )


def check_special_request(
    standing: ClubStanding, privilege_code: str, used_this_year: int, rules: ClubRules
) -> None:
    """Check that the line may request a special service (airport lounge, emergency
    reconnection, card delivery…) once more this calendar year.

    Args:
        standing: the line's standing now (`club_standing`).
        privilege_code: the special service, by its code in the rules.
        used_this_year: how many times the line has had it this calendar year.
        rules: the club's tables.

    Raises:
        NotFound: a privilege code the rules do not define.
        InvalidValue: a privilege that is not a special service (it is not requested), or a
            negative count.
        Conflict: the line is not rated, its level does not have the service, or the year's
            quota is used up.
    """
    privilege = rules.privilege(privilege_code)
    if not privilege.special:
        raise InvalidValue(
            "special service", privilege_code, f"{privilege.en} is not a service one requests"
        )
    if isinstance(used_this_year, bool) or used_this_year < 0:
        raise InvalidValue("times used this year", used_this_year, "expected 0 or more")
    level = standing.level
    if level is None:
        raise Conflict("line", standing.msisdn, f"not rated in the club ({standing.reason})")
    quota = rules.quota(level, privilege_code)
    if quota is None:
        needed = next((r.level for r in rules.levels if privilege_code in r.adds), None)
        where = "no level has it" if needed is None else f"needs {needed} or above"
        raise Conflict(
            "line",
            standing.msisdn,
            f"{privilege.en} ({privilege.zh}) {where}; the line is {level}",
        )
    if used_this_year >= quota:
        raise Conflict(
            "line",
            standing.msisdn,
            f"{privilege.en} ({privilege.zh}) quota used up: {used_this_year} of {quota} "
            f"this year at {level}",
        )


def fast_lane(level: StarLevel | None, rules: ClubRules | None = None) -> bool:
    """Whether a line of `level` takes the fast lane of the hotline queue: the rules'
    `fast_lane_from` level or above (every rated line by default). An unrated line does not."""
    rules = rules or default_club_rules()
    return level is not None and level >= rules.fast_lane_from
