"""Built-in manifest loaders: YAML 1.2 (``.yaml``, ``.yml``) and JSON (``.json``), both with line marks."""

from __future__ import annotations

from hrpolicy import hookimpl
from hrpolicy.load.yaml import load_json, load_yaml
from hrpolicy.model import ManifestLoader


@hookimpl
def hrpolicy_manifest_loaders() -> tuple[ManifestLoader, ...]:
    return (
        ManifestLoader((".yaml", ".yml"), load_yaml),
        ManifestLoader((".json",), load_json),
    )
