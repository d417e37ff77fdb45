"""Limits of the check API and what is masked in the decision log."""

MAX_BODY_BYTES = 64 * 1024
MAX_BATCH_BODY_BYTES = 2 * 1024 * 1024
MAX_BATCH = 100
MAX_JSON_DEPTH = 16
MAX_SIGNALS = 50
MAX_STRING = 1000
MAX_REQUEST_ID = 200
DECISION_ID_PREFIX = "dec_"
MASK = "***"
# Context keys whose values never reach the decision log (settings may add more).
DEFAULT_MASKED_CONTEXT_KEYS = ("email", "phone", "to", "body", "message", "text", "notes")

# The check path's process cache of keys (apps.checks.grants) and rate windows.
GRANT_MAX_AGE_SECONDS = 1.0  # however current the epoch, an entry is re-read this often
GRANT_MAX_ENTRIES = 10_000
RATE_REDIS_PREFIX = "mandate:rl"
RATE_WINDOW_TTL_SECONDS = 2
REDIS_RETRY_AFTER_SECONDS = 5  # after a failure the check path leaves Redis alone this long
REDIS_WARNING_INTERVAL_SECONDS = 60
