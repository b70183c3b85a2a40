"""Token references, cdktf metadata and loose block shapes."""

from __future__ import annotations

from covaex.topology.tfjson import as_int, az_name, block, blocks, iter_resources, references, strip_metadata

KNOWN = frozenset({"aws_subnet.app_a", "aws_vpc.main", "data.aws_availability_zones.azs"})


def test_references_find_known_addresses_inside_tokens_only() -> None:
    value = {
        "a": "${aws_subnet.app_a.id}",
        "b": ["${element(aws_vpc.main.cidr_block, 0)}", "aws_vpc.main"],
        "c": "${data.aws_availability_zones.azs.names[1]}",
        "d": "${aws_subnet.unknown.id}",
    }
    assert references(value, KNOWN) == set(KNOWN)


def test_strip_metadata_drops_cdktf_keys_at_every_depth() -> None:
    assert strip_metadata({"//": 1, "x": [{"//": 2, "y": 3}]}) == {"x": [{"y": 3}]}


def test_blocks_accept_object_or_list() -> None:
    assert block({"a": 1}) == {"a": 1}
    assert block([{"a": 1}]) == {"a": 1}
    assert block(None) == {}
    assert blocks({"a": 1}) == [{"a": 1}]
    assert blocks([{"a": 1}, "junk"]) == [{"a": 1}]


def test_numbers_and_azs_from_literals_and_tokens() -> None:
    assert as_int("2") == 2
    assert as_int("${var.x}") is None
    assert az_name("ap-northeast-2a") == "ap-northeast-2a"
    assert az_name("${data.aws_availability_zones.azs.names[1]}") == "az[1]"


def test_iter_resources_sorted_with_data_sources_and_junk_skipped() -> None:
    doc = {"resource": {"b_t": {"x": {}}, "a_t": {"y": {}}, "bad": "junk"}, "data": {"d_t": {"z": {}}}}
    assert [r.address for r in iter_resources(doc)] == ["a_t.y", "b_t.x", "data.d_t.z"]
