"""Every tunable number of the risk rules, with its default and the reason for it.

`docs/risk-rules.md` explains each rule; change numbers here, never inside a rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RiskThresholds:
    # -- locations -------------------------------------------------------------------------
    max_usable_accuracy_m: float = 10_000.0
    """A fix less accurate than this (cell-tower or IP level) is no location evidence."""
    default_accuracy_m: float = 1_000.0
    """Accuracy assumed for a fix sent without one (browsers nearly always send it)."""
    registered_location_accuracy_m: float = 100.0
    """A party's master-data location is a geocoded address, good to about a building block."""

    # -- diversion -------------------------------------------------------------------------
    diversion_high_distance_m: float = 2_000.0
    """A receive/sell OUTSIDE by at least this is high; closer is medium (border drawing)."""
    consumer_min_distance_m: float = 10_000.0
    """A consumer fix must be this far outside the expected territories to count at all:
    consumers live and shop near borders."""
    consumer_cluster_medium: int = 3
    """Distinct consumers AND distinct codes of one dealer's goods in one foreign area within
    the cluster window for medium; one consumer alone is always low. Goods a store inside the
    territory received or sold do not count (`diversion.sold_at_home`): border shoppers."""
    consumer_cluster_high: int = 8
    """... and for high."""
    consumer_cluster_window: timedelta = timedelta(days=30)
    """Consumer verifications trickle in over weeks after the goods were sold."""
    area_cell_deg: float = 0.5
    """Grid cell (about 50 km) that groups consumer sightings outside any known territory."""
    incident_window: timedelta = timedelta(days=7)
    """New evidence joins an open incident whose last evidence is at most this old."""

    # -- clone -----------------------------------------------------------------------------
    clone_min_distance_m: float = 50_000.0
    """Two consumers must be at least this far apart (after accuracy) to be 'elsewhere'."""
    clone_max_witnesses: int = 5
    """Distinct consumers checking one item: more than a family or a shop counter (medium)."""
    clone_high_witnesses: int = 10
    """... and clearly a copied code (high)."""
    session_window: timedelta = timedelta(minutes=30)
    """Anonymous checks this close in time (and space) are one session, one witness."""
    session_radius_m: float = 2_000.0
    """... and this close in space."""

    # -- impossible travel -----------------------------------------------------------------
    max_speed_kmh: float = 1_000.0
    """Above a airliner's ground speed (~900 km/h) no truck or plane carries the item."""
    high_speed_kmh: float = 5_000.0
    """Far beyond any transport: high, not medium."""
    min_travel_distance_m: float = 50_000.0
    """Below this (after subtracting accuracies) jumps are GPS/cell noise or the same metro."""

    # -- sequence --------------------------------------------------------------------------
    clock_skew: timedelta = timedelta(minutes=15)
    """Device clocks drift; a break must exceed this to count."""

    # -- turnover spike --------------------------------------------------------------------
    spike_ratio: float = 4.0
    """'Jumps by 300 %' = current week >= 4x the trailing weekly mean (medium)."""
    spike_high_ratio: float = 8.0
    """... and high from 8x."""
    spike_min_weekly_volume: int = 200
    """Small dealers jump from 10 to 40 items in normal business; ignore weeks below this."""
    spike_baseline_weeks: int = 4
    """Trailing weeks averaged as the baseline; fewer known weeks: no judgement."""
