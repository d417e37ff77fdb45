"""What a person changed in an agent's draft: per field, a word diff (kept, removed and
inserted runs of text) that templates render as <del> and <ins>, escaped as usual."""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from apps.web.forms_inbox import draft_keys, field_label

# Words and the whitespace between them, so that the diff keeps line breaks and spacing.
TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Run:
    op: str  # "same", "del" or "ins"
    text: str


@dataclass(frozen=True)
class FieldChange:
    key: str
    label: str
    runs: tuple[Run, ...]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def word_diff(before: str, after: str) -> tuple[Run, ...]:
    old, new = TOKENS.findall(before), TOKENS.findall(after)
    runs: list[Run] = []

    def add(op: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if runs and runs[-1].op == op:
            runs[-1] = Run(op, runs[-1].text + text)
        else:
            runs.append(Run(op, text))

    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("same", old[i1:i2])
            continue
        add("del", old[i1:i2])
        add("ins", new[j1:j2])
    return tuple(runs)


def draft_changes(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Each field whose value differs, in the draft's reading order."""
    keys = draft_keys({**before, **after})
    return [
        FieldChange(key, field_label(key), word_diff(_text(before.get(key)), _text(after.get(key))))
        for key in keys
        if before.get(key) != after.get(key)
    ]
