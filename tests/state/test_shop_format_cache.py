"""The price and date labels are remembered per value (Babel formats each value once per process), and callers
still get dicts of their own."""

from __future__ import annotations

from datetime import datetime

from jo_app.i18n.formats import format_price, format_short
from jo_app.state import shop_format


def test_labels_are_babels_and_each_call_gets_its_own_dict() -> None:
    first = shop_format.money(123450)
    assert first == {"fr": format_price(123450, "fr"), "en": format_price(123450, "en")}
    first["fr"] = "changed by a caller"
    assert shop_format.money(123450)["fr"] == format_price(123450, "fr")
    moment = datetime(2024, 7, 29, 16, 0)
    assert shop_format.labels("date", moment=moment) == {"date_fr": format_short(moment, "fr"),
                                                         "date_en": format_short(moment, "en")}
    assert shop_format.labels("total", cents=5000) == {"total_fr": format_price(5000, "fr"),
                                                       "total_en": format_price(5000, "en")}
    assert shop_format.labels("date", moment=None) == {"date_fr": "", "date_en": ""}


def test_a_value_is_formatted_once() -> None:
    shop_format._money_labels.cache_clear()
    for _ in range(5):
        shop_format.labels("unit", cents=98765)
    info = shop_format._money_labels.cache_info()
    assert (info.misses, info.hits) == (1, 4)
