"""Required foreign-key cycles are found however long the chain is."""

from designer.schema.validation import find_required_cycle


def test_no_cycle_in_a_chain_or_with_self_references():
    assert find_required_cycle([("b", "a"), ("c", "b"), ("c", "c")]) is None


def test_cycle_is_reported_in_order():
    assert find_required_cycle([("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]) == ["a", "b", "c", "a"]


def test_a_chain_of_five_thousand_tables_does_not_overflow():
    edges = [(f"t{i}", f"t{i + 1}") for i in range(5000)]
    assert find_required_cycle(edges) is None
    cycle = find_required_cycle([*edges, ("t5000", "t0")])
    assert cycle[0] == cycle[-1] and len(cycle) == 5002
