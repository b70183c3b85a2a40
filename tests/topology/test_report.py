"""The two output shapes of ``covaex spof``."""

from __future__ import annotations

from covaex.topology.report import findings_json, findings_markdown
from covaex.topology.spof_rules import finding


def test_json_shape_and_markdown_escaping() -> None:
    found = [finding("SPOF-RDS-01", ["aws_db_instance.postgres"], "multi_az = false | really")]
    (item,) = findings_json(found)["findings"]
    assert item["resources"] == ["aws_db_instance.postgres"] and item["severity"] == "high"
    assert item["basis"] and isinstance(item["basis"], list)
    text = findings_markdown(found, title="dev")
    assert "1 high, 0 medium, 0 low" in text
    assert "multi_az = false \\| really" in text
