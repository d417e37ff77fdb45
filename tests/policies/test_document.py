"""The document format: every key validated with its error path, catalogs enforced,
export → import → export stable, hostile input refused. No database."""

import copy
from pathlib import Path

import pytest

from apps.catalogs.keys import CatalogKeys
from apps.policies import document
from apps.policies.document import DocumentError

EXAMPLE = (Path(document.__file__).parent / "examples" / "sales-pipeline.yaml").read_text()
KEYS = CatalogKeys(
    actions=frozenset(
        {
            "log_call_notes",
            "update_deal_stage",
            "send_follow_up",
            "draft_proposal",
            "offer_discount",
            "quote_price",
            "negotiate_terms",
            "schedule_meeting",
        }
    ),
    signals=frozenset(
        {"buying_intent", "pricing_question", "technical_objection", "human_requested"}
    ),
    data_categories=frozenset({"contact_details", "deal_status", "payment_card", "health"}),
    templates=frozenset(
        {"check-in-after-proposal", "meeting-confirmation", "proposal-retainer", "proposal-project"}
    ),
    teams=frozenset({"deal-desk", "solutions-engineering", "sales-leadership"}),
)


def example() -> dict:
    return document.parse(EXAMPLE)


def problems(doc) -> dict[str, str]:
    with pytest.raises(DocumentError) as error:
        document.validate(doc, KEYS)
    return error.value.problems


def test_the_example_of_the_format_is_valid():
    doc = document.validate(example(), KEYS)
    assert list(doc) == [
        "format",
        "name",
        "description",
        "defaults",
        "actions",
        "triggers",
        "data",
        "decision_rights",
    ]
    assert list(doc["actions"])[:3] == ["log_call_notes", "update_deal_stage", "send_follow_up"]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_import_export_gives_the_same_text(fmt):
    first = document.export(document.validate(example(), KEYS), fmt)
    second = document.export(document.validate(document.parse(first, fmt), KEYS), fmt)
    assert first == second


def test_yaml_export_reads_like_the_format():
    text = document.to_yaml(document.validate(example(), KEYS))
    assert "    limits: {discount_pct: 5}\n" in text
    assert "    fields: [activity_log, next_step]\n" in text
    assert "  pricing_question: {route_to_team: deal-desk, respond_within_minutes: 30}\n" in text


def test_hash_ignores_key_order_but_not_meaning():
    doc = document.validate(example(), KEYS)
    reordered = dict(reversed(list(doc.items())))
    assert document.content_hash(doc) == document.content_hash(reordered)
    changed = copy.deepcopy(doc)
    changed["actions"]["offer_discount"]["limits"]["discount_pct"] = 6
    assert document.content_hash(doc) != document.content_hash(changed)


def test_integral_floats_are_integers():
    doc = example()
    doc["actions"]["offer_discount"]["limits"]["discount_pct"] = 5.0
    assert document.validate(doc, KEYS)["actions"]["offer_discount"]["limits"]["discount_pct"] == 5


def mutate(path: str, value):
    doc = example()
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node.setdefault(part, {})
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "where", "message"),
    [
        ("format", 2, "format", "must be 1"),
        ("format", _DELETE, "format", "is required"),
        ("name", "", "name", "must be a name"),
        ("name", _DELETE, "name", "is required"),
        ("description", 7, "description", "must be text"),
        ("surprise", 1, "surprise", "is not a known key"),
        ("defaults.min_confidence", 1.5, "defaults.min_confidence", "from 0 to 1"),
        ("defaults.min_confidence", "high", "defaults.min_confidence", "from 0 to 1"),
        (
            "defaults.approval_expires_after_hours",
            0,
            "defaults.approval_expires_after_hours",
            "hours",
        ),
        (
            "defaults.approval_expires_after_hours",
            2.5,
            "defaults.approval_expires_after_hours",
            "hours",
        ),
        ("defaults.other", 1, "defaults.other", "is not a known key"),
        ("actions", [], "actions", "must be an object"),
        (
            "actions.send_follow_up.mode",
            "sometimes",
            "actions.send_follow_up.mode",
            "must be one of",
        ),
        ("actions.send_follow_up.mode", _DELETE, "actions.send_follow_up.mode", "is required"),
        (
            "actions.send_follow_up.min_confidence",
            -0.1,
            "actions.send_follow_up.min_confidence",
            "0 to 1",
        ),
        ("actions.send_follow_up.channels", "email", "actions.send_follow_up.channels", "list"),
        (
            "actions.send_follow_up.channels",
            ["email", "email"],
            "actions.send_follow_up.channels",
            "repeat",
        ),
        (
            "actions.send_follow_up.templates",
            ["Not A Key"],
            "actions.send_follow_up.templates.0",
            "key",
        ),
        (
            "actions.send_follow_up.templates",
            ["unknown-template"],
            "actions.send_follow_up.templates.0",
            "approved template",
        ),
        (
            "actions.send_follow_up.data",
            ["secrets"],
            "actions.send_follow_up.data.0",
            "data category",
        ),
        ("actions.send_follow_up.fields", [1], "actions.send_follow_up.fields.0", "key"),
        (
            "actions.offer_discount.limits",
            {"discount_pct": -1},
            "actions.offer_discount.limits.discount_pct",
            "must be a number ≥ 0",
        ),
        (
            "actions.offer_discount.limits",
            {"discount_pct": "5"},
            "actions.offer_discount.limits.discount_pct",
            "must be a number ≥ 0",
        ),
        (
            "actions.offer_discount.limits",
            [5],
            "actions.offer_discount.limits",
            "must be an object",
        ),
        (
            "actions.offer_discount.approver_team",
            "nobody",
            "actions.offer_discount.approver_team",
            "a team",
        ),
        (
            "actions.quote_price.route_to_team",
            _DELETE,
            "actions.quote_price.route_to_team",
            "required when mode is escalate",
        ),
        (
            "actions.quote_price.route_to_team",
            "nobody",
            "actions.quote_price.route_to_team",
            "a team",
        ),
        (
            "actions.send_follow_up.colour",
            "red",
            "actions.send_follow_up.colour",
            "is not a known key",
        ),
        (
            "actions.fly_to_the_moon",
            {"mode": "autonomous"},
            "actions.fly_to_the_moon",
            "not an action",
        ),
        (
            "triggers.unknown_signal",
            {"route_to_team": "deal-desk"},
            "triggers.unknown_signal",
            "not a signal",
        ),
        (
            "triggers.pricing_question",
            {"respond_within_minutes": 5},
            "triggers.pricing_question.route_to_team",
            "is required",
        ),
        (
            "triggers.pricing_question",
            {"route_to_team": "nobody"},
            "triggers.pricing_question.route_to_team",
            "a team",
        ),
        (
            "triggers.pricing_question",
            {"route_to_team": "deal-desk", "respond_within_minutes": 0},
            "triggers.pricing_question.respond_within_minutes",
            "minutes",
        ),
        (
            "triggers.pricing_question",
            {"route_to_team": "deal-desk", "x": 1},
            "triggers.pricing_question.x",
            "is not a known key",
        ),
        ("data.never", ["secrets"], "data.never.0", "data category"),
        ("data.always", ["health"], "data.always", "is not a known key"),
        ("decision_rights.nobody", ["pricing"], "decision_rights.nobody", "a team"),
        ("decision_rights.deal-desk", "pricing", "decision_rights.deal-desk", "list"),
    ],
)
def test_every_key_is_validated_with_its_path(path, value, where, message):
    found = problems(mutate(path, value))
    assert where in found, found
    assert message in found[where], found


def test_every_problem_is_named_at_once():
    doc = mutate("actions.send_follow_up.mode", "sometimes")
    doc["actions"]["offer_discount"]["limits"] = {"discount_pct": -1}
    doc["defaults"]["min_confidence"] = 2
    assert len(problems(doc)) == 3


def test_not_a_mapping():
    assert problems([1, 2]) == {"document": "must be a mapping (key: value pairs)"}


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("a: [1, 2", "yaml", "is not valid YAML (line"),
        ("{", "json", "is not valid JSON (line 1"),
        ("a: &x [1]\nb: *x\n", "yaml", "aliases"),
        (b"\xff\xfe", "yaml", "must be UTF-8"),
        ("x" * (600 * 1024), "yaml", "larger than"),
        ("!!python/object:os.system {}", "yaml", "is not valid YAML"),
    ],
)
def test_hostile_or_broken_text_is_refused_clearly(text, fmt, message):
    with pytest.raises(DocumentError) as error:
        document.parse(text, fmt)
    assert message in error.value.problems["document"]


def test_the_json_schema_in_the_repository_is_the_one_used():
    schema = document.format_schema()
    assert schema["properties"]["format"]["const"] == 1
    assert set(schema["$defs"]["action"]["properties"]) == {
        "mode",
        "min_confidence",
        "channels",
        "templates",
        "data",
        "fields",
        "limits",
        "approver_team",
        "route_to_team",
    }


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("actions:\n  a: {mode: autonomous}\n  a: {mode: forbidden}\n", "yaml", "repeated"),
        ('{"format": 1, "format": 1}', "json", "repeated"),
        ('{"x": NaN}', "json", "not a number"),
        ("[" * 5000 + "]" * 5000, "json", "nested too deeply"),
        ("[" * 50000 + "]" * 50000, "json", "nested too deeply"),
        ("a: " + "[" * 100 + "]" * 100, "yaml", "nested too deeply"),
    ],
)
def test_repeated_keys_non_numbers_and_deep_nesting_are_refused(text, fmt, message):
    with pytest.raises(DocumentError) as error:
        document.parse(text, fmt)
    assert message in error.value.problems["document"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_invalid(value):
    doc = example()
    doc["actions"]["offer_discount"]["limits"]["discount_pct"] = value
    doc["defaults"]["min_confidence"] = value
    found = problems(doc)
    assert found["actions.offer_discount.limits.discount_pct"] == "must be a finite number"
    assert found["defaults.min_confidence"] == "must be a finite number"


def test_structural_and_catalog_problems_are_reported_together():
    doc = example()
    doc["actions"]["fly"] = {"mode": "autonomous", "foo": 1, "bar": 2}
    doc["triggers"]["pricing_question"]["respond_within_minutes"] = 0
    doc["triggers"]["pricing_question"]["route_to_team"] = "nobody"
    found = problems(doc)
    assert {"actions.fly", "actions.fly.foo", "actions.fly.bar"} <= set(found)
    assert "triggers.pricing_question.respond_within_minutes" in found
    assert "triggers.pricing_question.route_to_team" in found


def test_integer_fields_are_canonical():
    doc = example()
    doc["format"] = 1.0
    doc["triggers"]["pricing_question"]["respond_within_minutes"] = 30.0
    assert document.content_hash(document.validate(doc, KEYS)) == document.content_hash(
        document.validate(example(), KEYS)
    )
