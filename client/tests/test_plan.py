"""Part planning: the server's plan is followed only when S3 can hold it; sizes parse."""

from __future__ import annotations

import itertools

import pytest

from signed_import_client.plan import (
    GIB,
    MIB,
    PartPlan,
    check_part_size,
    human_size,
    parse_size,
)


def test_spans_cover_the_file_exactly_once() -> None:
    plan = PartPlan(size=24 * MIB + 7, part_size=5 * MIB)

    spans = [plan.span(n) for n in range(1, plan.part_count + 1)]

    assert plan.part_count == 5
    assert spans[0] == (0, 5 * MIB)
    assert spans[-1] == (20 * MIB, 4 * MIB + 7)
    assert sum(length for _, length in spans) == plan.size
    assert all(a[0] + a[1] == b[0] for a, b in itertools.pairwise(spans))


def test_a_file_smaller_than_a_part_is_one_part() -> None:
    plan = PartPlan(size=1, part_size=16 * MIB)
    assert (plan.part_count, plan.span(1)) == (1, (0, 1))


@pytest.mark.parametrize("number", [0, 6, -1])
def test_part_numbers_outside_the_plan_are_refused(number: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        PartPlan(size=24 * MIB, part_size=5 * MIB).span(number)


def test_the_servers_plan_is_accepted_when_it_holds_the_size() -> None:
    plan = PartPlan.from_server(size=GIB, part_size=16 * MIB, part_count=64)
    assert plan.length(64) == 16 * MIB


@pytest.mark.parametrize(
    ("size", "part_size", "part_count", "error"),
    [
        (GIB, 16 * MIB, 63, "cannot hold"),  # one part short: the last 16 MiB would be lost
        (GIB, 16 * MIB, 65, "cannot hold"),  # an empty part S3 would refuse
        (10 * MIB, 1 * MIB, 10, "outside S3's bounds"),  # parts below 5 MiB
        (20_000 * 5 * MIB, 5 * MIB, 20_000, "outside S3's bounds"),  # over 10,000 parts
        (0, 5 * MIB, 0, "at least 1 byte"),
        (10, 0, 1, "at least 1 byte"),
    ],
)
def test_a_plan_s3_cannot_assemble_is_refused(
    size: int, part_size: int, part_count: int, error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        PartPlan.from_server(size, part_size, part_count)


def test_part_sizes_are_checked_against_s3s_bounds() -> None:
    check_part_size(5 * MIB)
    check_part_size(5 * GIB)
    with pytest.raises(ValueError, match="5 MiB to 5 GiB"):
        check_part_size(5 * MIB - 1)
    with pytest.raises(ValueError, match="5 MiB to 5 GiB"):
        check_part_size(5 * GIB + 1)
    with pytest.raises(ValueError, match=f"use at least {5 * MIB + 1} bytes"):
        check_part_size(5 * MIB, size=10_000 * 5 * MIB + 1)
    check_part_size(5 * MIB, size=10_000 * 5 * MIB)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1048576", MIB),
        ("16MiB", 16 * MIB),
        ("16M", 16 * MIB),
        ("16mb", 16 * MIB),
        ("8k", 8 * 1024),
        ("1G", GIB),
        (" 2 GiB ", 2 * GIB),
        ("5B", 5),
    ],
)
def test_sizes_parse_in_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MiB", "1.5M", "-1", "16 MiBs", "ten", "16iB"])
def test_sizes_that_are_not_sizes_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a size"):
        parse_size(text)


def test_human_sizes() -> None:
    assert [human_size(n) for n in (5, 1536, 16 * MIB, 5 * GIB)] == [
        "5 B",
        "1.5 KiB",
        "16.0 MiB",
        "5.0 GiB",
    ]
