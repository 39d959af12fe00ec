"""Built-in manifest loaders: YAML 1.2 (``.yaml``, ``.yml``) and JSON (``.json``), both with line marks."""

from __future__ import annotations

from hrpolicy import hookimpl
from hrpolicy.load.document import Document
from hrpolicy.load.yaml import load_yaml
from hrpolicy.model import ManifestLoader


def _load_json(source: bytes, path: str) -> Document:
    from hrpolicy.load.jsonload import load_json  # imported when a JSON manifest is met, not on every run

    return load_json(source, path)


@hookimpl
def hrpolicy_manifest_loaders() -> tuple[ManifestLoader, ...]:
    return (
        ManifestLoader((".yaml", ".yml"), load_yaml),
        ManifestLoader((".json",), _load_json),
    )
