"""What schemathesis needs to know to drive the management API from its schema: the string
formats the schema names beyond JSON Schema's own. Loaded with SCHEMATHESIS_HOOKS."""

import json

import schemathesis
from hypothesis import strategies as st

_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'é")
_KEY = st.from_regex(r"\A[a-z0-9]{1,10}(?:[-_][a-z0-9]{1,10}){0,2}\Z")
_ACTION = st.fixed_dictionaries(
    {"mode": st.sampled_from(["autonomous", "approval", "forbidden"])},
    optional={
        "min_confidence": st.sampled_from([0, 0.5, 0.75, 1]),
        "channels": st.lists(_KEY, max_size=3, unique=True),
        "limits": st.dictionaries(_KEY, st.integers(0, 10_000), max_size=2),
    },
)
_DOCUMENT = st.fixed_dictionaries(
    {"format": st.just(1), "name": _WORDS.filter(bool).map(lambda name: name[:80])},
    optional={
        "description": _WORDS.map(lambda text: text[:200]),
        "defaults": st.fixed_dictionaries({}, optional={"min_confidence": st.just(0.5)}),
        "actions": st.dictionaries(_KEY, _ACTION, max_size=3),
    },
)

# The text of a policy document, as YAML or JSON: JSON text is both, as long as its numbers
# are ones YAML 1.1 reads as numbers too and its text needs no escapes.
schemathesis.openapi.format("policy-document", _DOCUMENT.map(json.dumps))
