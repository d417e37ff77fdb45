"""Token sizes and limits."""

TOKEN_RANDOM_BYTES = 32
# How many characters of the random part are kept in clear, to list and recognise a token.
TOKEN_VISIBLE_CHARS = 8
# last_used_at is written at most this often per token, so authentication stays a read.
TOKEN_LAST_USED_RESOLUTION_SECONDS = 60
