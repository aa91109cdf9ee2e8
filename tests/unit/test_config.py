from __future__ import annotations

import pytest
from pydantic import ValidationError

from traceability.config import Settings


def test_the_brand_time_zone_is_checked_when_settings_load() -> None:
    assert Settings(timezone="Europe/Berlin").timezone == "Europe/Berlin"
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        Settings(timezone="Mars/Olympus")
