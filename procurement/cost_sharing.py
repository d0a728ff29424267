"""Per-member breakdown of a grouping and the sharing of the coordinator's costs. Pure: no ORM, no I/O.

Coordination costs are shared according to the key set in the convention: pro rata of each member's
estimated value, equal shares, or pro rata of population. Shares are exact cents that always sum to the
costs: each member first gets the floor of its exact quota, then the cents left over go one by one to the
largest remainders (Hamilton's method), ties broken by larger weight, then by smaller collectivity id, so
the result never depends on the order of the input.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction

from procurement.errors import DomainError

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
KEYS = ("value", "equal", "population")
KEY_LABELS = {
    "value": "au prorata de la valeur estimée des besoins",
    "equal": "à parts égales",
    "population": "au prorata de la population",
}


class CostSharingError(DomainError):
    code = "cost_sharing"


@dataclass(frozen=True)
class MemberBasis:
    """What the key needs to know about one member."""

    collectivity_id: int
    name: str
    value_ht: Decimal = ZERO
    population: int | None = None


def weights_for(*, key: str, members: Sequence[MemberBasis]) -> dict[int, Fraction]:
    """The weight of each member under `key`. Raises CostSharingError when the key cannot be applied."""
    if key not in KEYS:
        raise CostSharingError(f"Clé de répartition inconnue : « {key} ».", field="cost_sharing_key")
    if key == "equal":
        return {m.collectivity_id: Fraction(1) for m in members}
    if key == "population":
        missing = [m.name for m in members if not m.population]
        if missing:
            raise CostSharingError(
                "Répartition au prorata de la population impossible : population inconnue pour "
                + ", ".join(sorted(missing))
                + ". Renseignez-la ou choisissez une autre clé.",
                field="cost_sharing_key",
            )
        return {m.collectivity_id: Fraction(m.population) for m in members}
    return {m.collectivity_id: Fraction(m.value_ht) for m in members}


def largest_remainder(*, total: Decimal, weights: dict[int, Fraction]) -> dict[int, Decimal]:
    """Split `total` (euros, at most 2 decimals) in exact cents proportionally to `weights`.

    The parts sum exactly to `total`. Members with a zero weight get zero.
    """
    if total < 0:
        raise CostSharingError("Les frais à répartir ne peuvent pas être négatifs.", field="coordination_costs_ht")
    cents = int((total / CENT).to_integral_value())
    if Decimal(cents) * CENT != total:
        raise CostSharingError("Les frais doivent être exprimés en euros et centimes.", field="coordination_costs_ht")
    if any(w < 0 for w in weights.values()):
        raise CostSharingError("Une clé de répartition ne peut pas être négative.", field="cost_sharing_key")
    weight_sum = sum(weights.values(), Fraction(0))
    if not weights or (weight_sum == 0 and cents):
        raise CostSharingError(
            "Aucune base de répartition : aucun membre n'a de poids selon cette clé "
            "(par exemple, aucune valeur estimée). Choisissez une autre clé.",
            field="cost_sharing_key",
        )
    if cents == 0:
        return dict.fromkeys(weights, ZERO)
    quotas = {cid: cents * w / weight_sum for cid, w in weights.items()}
    floors = {cid: int(q) for cid, q in quotas.items()}  # quotas are non-negative: int() floors
    left = cents - sum(floors.values())
    order = sorted(weights, key=lambda cid: (-(quotas[cid] - floors[cid]), -weights[cid], cid))
    for cid in order[:left]:
        floors[cid] += 1
    return {cid: Decimal(n) * CENT for cid, n in floors.items()}


def share_costs(*, costs: Decimal, key: str, members: Sequence[MemberBasis]) -> dict[int, Decimal]:
    """Each member's share of the coordination costs under `key`, in exact cents summing to `costs`."""
    if not members:
        return {}
    return largest_remainder(total=costs, weights=weights_for(key=key, members=members))


# --------------------------------------------------------------------------------------------- breakdown


@dataclass
class MemberLotFigures:
    lot_number: int
    lot_title: str
    quantity: int
    value_ht: Decimal
    total_value_ht: Decimal  # over the firm period and every renewal


@dataclass
class MemberBreakdown:
    collectivity_id: int
    name: str
    population: int | None
    lots: list[MemberLotFigures] = field(default_factory=list)
    quantity: int = 0
    value_ht: Decimal = ZERO
    total_value_ht: Decimal = ZERO
    cost_share_ht: Decimal | None = ZERO
    share_of_value: Decimal = ZERO  # percentage of the pooled value, 2 decimals


@dataclass
class Breakdown:
    periods: int
    key: str
    key_label: str
    coordination_costs_ht: Decimal
    members: list[MemberBreakdown]
    value_ht: Decimal
    total_value_ht: Decimal
    quantity: int
    error: str = ""

    def only(self, collectivity_ids: Iterable[int] | None) -> "Breakdown":
        """The same breakdown restricted to some members (a member sees only its own figures)."""
        if collectivity_ids is None:
            return self
        keep = set(collectivity_ids)
        return replace(self, members=[m for m in self.members if m.collectivity_id in keep])


def build_breakdown(
    *,
    lots: Sequence,
    members: Sequence[MemberBasis],
    periods: int,
    costs: Decimal,
    key: str,
) -> Breakdown:
    """Quantities and values per member and lot, and each member's share of the coordination costs.

    `lots` are lot summaries (`tenders.selectors.LotSummary`: `.lot.number`, `.lot.title`, `.members` shares
    covering every member); `members` are the grouping's active members, in display order.
    """
    rows = {m.collectivity_id: MemberBreakdown(m.collectivity_id, m.name, m.population) for m in members}
    for summary in lots:
        for share in summary.members:
            row = rows.get(share.collectivity_id)
            if row is None:  # needs left in a lot by a member no longer active: counted in lots, not shared
                continue
            row.lots.append(
                MemberLotFigures(
                    summary.lot.number, summary.lot.title, share.quantity, share.value_ht, share.value_ht * periods
                )
            )
            row.quantity += share.quantity
            row.value_ht += share.value_ht
    pooled = sum((r.value_ht for r in rows.values()), ZERO)
    for row in rows.values():
        row.total_value_ht = row.value_ht * periods
        row.share_of_value = (row.value_ht * 100 / pooled).quantize(CENT) if pooled else ZERO
    basis = [MemberBasis(r.collectivity_id, r.name, r.value_ht, r.population) for r in rows.values()]
    error = ""
    try:
        shares = share_costs(costs=costs, key=key, members=basis)
    except CostSharingError as exc:
        shares, error = {}, exc.message
    for row in rows.values():
        row.cost_share_ht = shares.get(row.collectivity_id) if not error else None
    return Breakdown(
        periods=periods,
        key=key,
        key_label=KEY_LABELS.get(key, key),
        coordination_costs_ht=costs,
        members=list(rows.values()),
        value_ht=pooled,
        total_value_ht=pooled * periods,
        quantity=sum(r.quantity for r in rows.values()),
        error=error,
    )
