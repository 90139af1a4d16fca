from nbtrack.compare.columns import varying_keys


def test_only_keys_that_differ_or_are_missing_somewhere_vary_in_first_seen_order() -> None:
    rows = [
        {"seed": 1, "lr": 0.1, "layers": [64, 32]},
        {"seed": 1, "lr": 0.01, "layers": [64, 32], "dropout": 0.5},
        {"seed": 1, "lr": 0.1, "layers": [64, 16]},
    ]
    assert varying_keys(rows) == ["lr", "layers", "dropout"]


def test_an_int_and_a_float_of_the_same_number_differ_and_nan_equals_nan() -> None:
    assert varying_keys([{"a": 1, "b": float("nan")}, {"a": 1.0, "b": float("nan")}]) == ["a"]


def test_one_run_or_none_has_nothing_that_varies() -> None:
    assert varying_keys([]) == []
    assert varying_keys([{"lr": 0.1}]) == []
