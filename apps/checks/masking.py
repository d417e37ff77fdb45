"""What of a request reaches the decision log: sensitive context values are masked, and
the paths that were masked are recorded with it."""

from typing import Any

from apps.checks.constants import MASK


def mask_request(
    body: dict[str, Any], sensitive_keys: frozenset[str]
) -> tuple[dict[str, Any], list[str]]:
    masked: list[str] = []

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                child = f"{path}.{key}"
                if key.lower() in sensitive_keys:
                    out[key] = MASK
                    masked.append(child)
                else:
                    out[key] = walk(item, child)
            return out
        if isinstance(value, list):
            return [walk(item, f"{path}.{i}") for i, item in enumerate(value)]
        return value

    result = dict(body)
    if isinstance(body.get("context"), dict):
        result["context"] = walk(body["context"], "context")
    return result, masked
