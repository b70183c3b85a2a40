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


def test_union_resolves_lookups_renames_collisions_and_records_origin() -> None:
    from covaex.topology.tfjson import TerraformDoc, union_stacks

    v1 = TerraformDoc(
        "tobe-v1-dev",
        {
            "resource": {
                "aws_security_group": {"db": {"name": "covaex-dev-db"}},
                "aws_kms_key": {"main": {}},
            }
        },
    )
    v2 = TerraformDoc(
        "platform-v2-dev",
        {
            "data": {"aws_security_group": {"db": {"name": "covaex-dev-db"}}},
            "resource": {
                "aws_kms_key": {"main": {}},
                "aws_vpc_security_group_ingress_rule": {
                    "db_from_eks": {
                        "security_group_id": "${data.aws_security_group.db.id}",
                        "kms": "${aws_kms_key.main.arn}",
                    }
                },
            },
        },
    )
    union = union_stacks("dev", [v1, v2])
    rule = union.by_address("aws_vpc_security_group_ingress_rule.db_from_eks")
    assert rule is not None
    assert rule.get("security_group_id") == "${aws_security_group.db.id}"  # the lookup is v1's group
    assert rule.get("kms") == "${aws_kms_key.main_platform.arn}"  # the colliding key was renamed
    assert union.by_address("data.aws_security_group.db") is None
    assert union.stack_of("aws_security_group.db") == "tobe-v1-dev"
    assert union.stack_of("aws_kms_key.main_platform") == "platform-v2-dev"


def test_a_boolean_written_as_a_string_reads_once_as_a_boolean() -> None:
    from covaex.topology.tfjson import Resource

    assert Resource("aws_db_instance", "x", {"multi_az": "false"}).flag("multi_az") is False
    assert Resource("aws_db_instance", "x", {"multi_az": "true"}).flag("multi_az") is True
    assert Resource("aws_db_instance", "x", {}).flag("multi_az") is False
