"""Key formats shared across apps, so that one kind of key is never mistaken for another."""

# Personal access tokens (people, management API) and agent keys (agents, agent API) carry
# visible prefixes so that a leaked key is recognisable, e.g. by a secret scanner.
PERSONAL_TOKEN_PREFIX = "mnd_pat_"
AGENT_KEY_PREFIX = "mnd_agent_"

# The check-state epoch in Redis (apps.core.epoch) and the check path's Redis timeouts.
CHECK_EPOCH_REDIS_KEY = "mandate:checks:epoch"
REDIS_TIMEOUT_SECONDS = 0.05
