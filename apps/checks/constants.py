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
