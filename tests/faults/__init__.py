"""The fault suite: the real system, its dependencies taken away under load, and what survived.

`make faults` (`python -m tests.faults`) runs every scenario on a private stack of its own
and prints one row per scenario; `tests/faults/test_faults_short.py` runs a short part of
it from `make test` when `RT_FAULTS=1`.
"""
