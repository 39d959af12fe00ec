"""Micro benchmark: microseconds per load of a typical ~60-line manifest.

Run: python scripts/bench_yaml.py [rounds]
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable

from hrpolicy.load.jsonload import load_json
from hrpolicy.load.yaml import load_yaml

MANIFEST = """\
# hrpolicy manifest for the Acme Chat messaging product
product:
  id: acme-chat
  name: Acme Chat
  owner: trust-and-safety@acme.example
  version: 4.2.0
  category: messaging
markets:
  - country: VN
    since: 2024-01-15
    channels: [app_store, play_store]
    local_entity: true
  - country: DE
    since: 2019-06-01
    channels: [app_store, play_store, web]
    local_entity: true
  - country: AE
    since: 2022-03-10
    channels: [web]
    local_entity: false
  - country: BR
    since: 2021-11-02
    channels: [app_store, play_store]
    local_entity: false
data_stores:
  - id: messages
    region: eu-central-1
    contents: [message_content, attachments]
    encryption: {at_rest: true, end_to_end: true}
    retention_days: 30
  - id: metadata
    region: ap-southeast-1
    contents: [contact_graph, ip_address, device_id]
    encryption: {at_rest: true, end_to_end: false}
    retention_days: 365
  - id: analytics
    region: us-east-1
    contents: [usage_events]
    encryption: {at_rest: true, end_to_end: false}
    retention_days: 90
features:
  location_sharing: false
  content_moderation: automated
  lawful_intercept_interface: false
assessments:
  - id: HRIA-2025-01
    type: hria
    date: 2025-02-20
    scope: [VN, AE]
    findings: 7
    status: complete
    url: https://intranet.acme.example/hria/2025-01
  - id: DPIA-2024-03
    type: dpia
    date: 2024-09-30
    scope: [DE, BR]
    status: complete
waivers:
  - rule: HR-012
    pointer: /markets/0
    reason: "Local entity required by law; mitigations in HRIA-2025-01"
    expires: 2026-03-01
    approved_by: hrdd-board
"""


def _to_json() -> str:
    import json

    return json.dumps(load_yaml(MANIFEST, "bench.yaml").data, indent=2)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    lines = MANIFEST.count("\n")
    json_text = _to_json()
    cases: dict[str, Callable[[], object]] = {
        f"hrpolicy.load.yaml.load_yaml ({lines} lines)": lambda: load_yaml(MANIFEST, "bench.yaml"),
        "hrpolicy.load.yaml.load_yaml (bytes input)": lambda: load_yaml(MANIFEST.encode(), "bench.yaml"),
        "hrpolicy.load.yaml.load_json (same data as JSON)": lambda: load_json(json_text, "bench.json"),
    }
    try:
        from ruamel.yaml import YAML

        compose = YAML(typ="safe", pure=False).compose
        load = YAML(typ="safe", pure=False).load
        cases["ruamel YAML(typ='safe', pure=False).compose"] = lambda: compose(MANIFEST)
        cases["ruamel YAML(typ='safe', pure=False).load"] = lambda: load(MANIFEST)
    except ImportError:  # comparison only
        pass
    for name, case in cases.items():
        case()  # warm up imports and caches
        best = min(timeit.repeat(case, number=rounds, repeat=5)) / rounds
        print(f"{best * 1e6:9.1f} µs  {name}")


if __name__ == "__main__":
    main()
