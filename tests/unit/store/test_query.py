"""The --where / --sort languages parse what users type and name what they got wrong."""

from __future__ import annotations

import pytest

from nbtrack.errors import QueryError
from nbtrack.store.query import (
    MAX_NESTING,
    And,
    Compare,
    Field,
    Not,
    Or,
    SortKey,
    parse_sort,
    parse_where,
)


def test_comparison_on_a_param_parses_to_field_op_number() -> None:
    assert parse_where("params.lr < 0.1") == Compare(Field("params", "lr"), "<", 0.1, "0.1")


def test_dotted_and_slashed_keys_keep_everything_after_the_namespace() -> None:
    expr = parse_where("params.optimizer.lr >= 1e-3 and metrics.train/loss != 2")
    assert expr == And(
        Compare(Field("params", "optimizer.lr"), ">=", 0.001, "1e-3"),
        Compare(Field("metrics", "train/loss"), "!=", 2.0, "2"),
    )


def test_backquoted_key_may_hold_spaces() -> None:
    assert parse_where("params.`batch size` = 32").field == Field("params", "batch size")  # type: ignore[union-attr]


def test_and_binds_tighter_than_or_and_parentheses_override() -> None:
    a = Compare(Field("", "status"), "=", "FINISHED", "FINISHED")
    b = Compare(Field("tags", "team"), "=", "vision", "vision")
    c = Compare(Field("", "name"), "contains", "base", "base")
    assert parse_where("status = FINISHED or tags.team == 'vision' and name contains base") == Or(
        a, And(b, c)
    )
    assert parse_where('(status = FINISHED or tags.team = "vision") and name contains base') == And(
        Or(a, b), c
    )


def test_not_and_keywords_are_case_insensitive() -> None:
    expr = parse_where("NOT status = failed AND id = 3f9c")
    assert expr == And(
        Not(Compare(Field("", "status"), "=", "failed", "failed")),
        Compare(Field("", "id"), "=", "3f9c", "3f9c"),
    )


def test_quoted_strings_keep_spaces_and_escaped_quotes() -> None:
    expr = parse_where(r"name = 'it\'s a run'")
    assert isinstance(expr, Compare)
    assert expr.value == "it's a run"


def test_dates_are_bare_words_for_started() -> None:
    expr = parse_where("started > 2024-05-01")
    assert expr == Compare(Field("", "started"), ">", "2024-05-01", "2024-05-01")


@pytest.mark.parametrize(
    ("expression", "fault"),
    [
        ("params.lr <", "at position 12: expected a value after params.lr <, found the end"),
        ("params.lr 0.1", "at position 11: expected a comparison"),
        ("lr < 0.1", "at position 1: unknown field 'lr'"),
        ("params. < 1", "params. needs a key"),
        ("(status = FINISHED", "expected ')', found the end"),
        ("status = FINISHED)", "expected 'and', 'or' or the end, found ')'"),
        ("status = FINISHED and", "expected a field such as params.lr"),
        ("name = 'unclosed", "at position 8: an unclosed quote"),
        ("metrics.acc > 0.9 $", "unexpected character '$'"),
        ("   ", "the expression is empty"),
        ("status = FINISHED or or x", "at position 22: expected a field such as params.lr"),
        ("status = DONE", "at position 10: 'DONE' is not a status (one of RUNNING, FINISHED"),
        ("metrics.acc > high", "at position 15: metrics.acc compares with numbers, not 'high'"),
        ("metrics.acc contains 9", "at position 22: metrics.acc compares with numbers"),
        ("metrics.acc < nan", "at position 15: metrics.acc < nan is never true; use = or !="),
        ("ended > yesterday", "at position 9: ended > 'yesterday' needs a time such as 2024"),
    ],
)
def test_malformed_where_names_the_expression_and_the_place(expression: str, fault: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_where(expression)
    message = str(caught.value)
    assert message.startswith(f"Cannot read --where {expression!r}")
    assert fault in message
    assert message.endswith(".")
    assert message.count(": ") == 1  # one sentence: where, then what is wrong
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("-metrics.val_acc", SortKey(Field("metrics", "val_acc"), True)),
        ("params.lr", SortKey(Field("params", "lr"), False)),
        ("+name", SortKey(Field("", "name"), False)),
        ("started", SortKey(Field("", "started"), False)),
        ("-started_at", SortKey(Field("", "started"), True)),
    ],
)
def test_sort_keys(spec: str, expected: SortKey) -> None:
    assert parse_sort(spec) == expected


@pytest.mark.parametrize("spec", ["-", "metrics.acc desc", "bogus", "params."])
def test_malformed_sort_names_the_key(spec: str) -> None:
    with pytest.raises(QueryError, match=r"Cannot read --sort"):
        parse_sort(spec)


def test_a_thousand_terms_parse_into_one_flat_list() -> None:
    terms = [f"params.p{i} = {i}" for i in range(1000)]
    anded = parse_where(" and ".join(terms))
    assert isinstance(anded, And)
    assert len(anded.terms) == 1000
    assert anded.terms[999] == Compare(Field("params", "p999"), "=", 999.0, "999")
    ored = parse_where(" or ".join(terms))
    assert isinstance(ored, Or)
    assert len(ored.terms) == 1000
    # parentheses around a chain of the same kind splice it in
    assert parse_where("(params.b = 1 or id = 2) or id = 3") == Or(
        Compare(Field("params", "b"), "=", 1.0, "1"),
        Compare(Field("", "id"), "=", 2.0, "2"),
        Compare(Field("", "id"), "=", 3.0, "3"),
    )


@pytest.mark.parametrize(
    ("expression", "position"),
    [
        ("(" * 1000 + "status = FINISHED" + ")" * 1000, MAX_NESTING + 1),
        ("not " * 1000 + "status = FINISHED", 4 * MAX_NESTING + 1),
        ("(not " * 17 + "status = FINISHED" + ")" * 17, 5 * (MAX_NESTING // 2) + 1),
    ],
)
def test_nesting_deeper_than_the_limit_is_one_sentence(expression: str, position: int) -> None:
    with pytest.raises(QueryError) as caught:
        parse_where(expression)
    message = str(caught.value)
    assert f"at position {position}: it nests deeper than {MAX_NESTING} levels" in message
    assert message.count(": ") == 1
    assert len(message) < 300  # a long expression is shown by its start and length
    assert caught.value.exit_code == 2


def test_nesting_up_to_the_limit_parses() -> None:
    half = MAX_NESTING // 2
    expr = parse_where("(not " * half + "status = FINISHED" + ")" * half)
    for _ in range(half):
        assert isinstance(expr, Not)
        expr = expr.inner
    assert expr == Compare(Field("", "status"), "=", "FINISHED", "FINISHED")


@pytest.mark.parametrize(
    ("expression", "key"),
    [
        ('params."my key" = 1', "my key"),
        ('params."a.b" = 1', "a.b"),
        ('params.model."drop out" = 1', "model.drop out"),
        (r'params."say \"hi\"" = 1', 'say "hi"'),
        ('params."" = 1', ""),
    ],
)
def test_double_quoted_keys(expression: str, key: str) -> None:
    assert parse_where(expression) == Compare(Field("params", key), "=", 1.0, "1")


def test_double_quoted_metric_key_and_sort_key() -> None:
    assert parse_where('metrics."val acc" > 0.5') == Compare(
        Field("metrics", "val acc"), ">", 0.5, "0.5"
    )
    assert parse_sort('-metrics."val acc"') == SortKey(Field("metrics", "val acc"), True)


@pytest.mark.parametrize(
    ("expression", "fault"),
    [
        ('params."my key = 1', "at position 8: an unclosed quote"),
        (
            "tags.epoch < 10",
            "tags.epoch is text and 10 a number, which cannot be ordered against each other; "
            "quote the number (tags.epoch < '10') to compare it as text",
        ),
        ("name >= 5", "name is text and 5 a number"),
    ],
)
def test_quoted_keys_and_text_fields_name_the_fault(expression: str, fault: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_where(expression)
    assert fault in str(caught.value)
    assert str(caught.value).count(": ") == 1
