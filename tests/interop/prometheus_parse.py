"""Parses a Prometheus text exposition from stdin with the official Python client's parser and
prints its families as JSON: {name: {"type": ..., "samples": [[sample_name, labels, value], ...]}}.
A scrape the parser rejects exits non-zero with its error."""

import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

families = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    families[family.name] = {
        "type": family.type,
        "samples": [[s.name, s.labels, None if math.isnan(s.value) else s.value] for s in family.samples],
    }
print(json.dumps(families))
