"""The window the trust figures and the handoff service levels are shown over."""

from apps.humans.constants import report_window


def test_windows_are_7_30_or_90_days():
    asked = ("7", "30", "90", 90, "12", "365", "x", None)
    assert [report_window(days=d) for d in asked] == [7, 30, 90, 90, 30, 30, 30, 30]
