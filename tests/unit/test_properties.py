"""Property tests: manifests generated from the shipped manifest schema (hypothesis-jsonschema), valid ones
and ones mutated to be invalid, and personal identifiers planted anywhere in them.

Whatever the input: never exit 3 or a traceback, every JSON report parses, and no planted identifier can be
read in the bytes of any output format (normalised as :func:`hrpolicy.identifiers.normalise` does). The
suite runs a few dozen examples each; ``HYPOTHESIS_PROFILE=fuzz`` runs thousands (docs/security.md).
"""

from __future__ import annotations

import copy
import io
import json
import os
import warnings
from pathlib import Path
from typing import Any

import pytest
from helpers import TODAY, manifest

from hrpolicy import api, identifiers
from hrpolicy.evaluate.session import Session
from hrpolicy.load.jsonload import load_json
from hrpolicy.load.yaml import load_yaml
from hrpolicy.model import OutputOptions, RunResult
from hrpolicy.validate.schemas import load_schema

hypothesis = pytest.importorskip("hypothesis")
hjs = pytest.importorskip("hypothesis_jsonschema")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

settings.register_profile(
    "suite", max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))
warnings.filterwarnings("ignore", module="hypothesis_jsonschema")

COUNTRIES = ["VN", "DE", "TR", "US", "BR", "CN", "RU", "IN", "FR", "MM"]
MANIFESTS = hjs.from_schema(
    load_schema("manifest"),
    custom_formats={
        "country-code": st.sampled_from(COUNTRIES),
        "language-code": st.sampled_from(["en", "vi"]),
    },
)
SECRETS = [
    "jane.doe@ngo.org",
    "+49 151 12345678",
    "0049 151 12345678",
    "(11) 91234-5678",
    "wa.me/4915112345678",
]


def outputs(session: Session, result: RunResult) -> str:
    """Every check format's bytes, decoded, plus every error line as the command prints it."""
    verbose = OutputOptions(verbose=True)
    rendered = [_render(session, result, name, verbose) for name in session.plugins.output_formats("check")]
    rendered += [str(e) for e in result.errors]
    return "\n".join(rendered)


def run(session: Session, tmp: Path, data: Any, name: str = "hrpolicy.json") -> tuple[RunResult, str]:
    path = tmp / name
    path.write_text(json.dumps(data, ensure_ascii=True), "utf-8")
    result = api.check([str(path)], today=TODAY, session=session)
    text = outputs(session, result)
    report = json.loads(_render(session, result, "json"))
    assert report["summary"]["exit_code"] == result.exit_code
    return result, text


def _render(session: Session, result: RunResult, name: str, options: OutputOptions | None = None) -> str:
    stream = io.StringIO()
    session.plugins.output_formats("check")[name].writers["check"](result, stream, options or OutputOptions())
    return stream.getvalue()


def readable(secret: str, text: str) -> bool:
    seen = identifiers.normalise(text).replace(" ", "")
    wanted = identifiers.normalise(secret).replace(" ", "")
    return wanted in seen


# --------------------------------------------------------------------------------------------- properties


@given(data=MANIFESTS)
def test_generated_manifests_never_crash(builtin_session: Session, tmp_path_factory: Any, data: Any) -> None:
    result, _ = run(builtin_session, tmp_path_factory.mktemp("m"), data)
    assert (result.exit_code == 2) == bool(result.errors)  # api.check raised nothing; the verdict is coherent


def _mutate(data: Any, draw: Any) -> Any:
    """One of: a leaf replaced by a value of another type or hostile text, a key removed, an unknown key."""
    data = copy.deepcopy(data)
    containers: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, (dict, list)):
            containers.append(node)
            for child in node.values() if isinstance(node, dict) else node:
                walk(child)

    walk(data)
    target = draw(st.sampled_from(containers))
    hostile = st.one_of(
        st.sampled_from(["", "\u202e", "::error::x", "\x1b[31m", "a\u2028b", "9" * 400, "NO", "2026-02-30"]),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    )
    if isinstance(target, dict) and target:
        key = draw(st.sampled_from(sorted(target)))
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        if action == "replace":
            target[key] = draw(hostile)
        elif action == "remove":
            del target[key]
        else:
            target[draw(st.text(min_size=1, max_size=8))] = draw(hostile)
    elif isinstance(target, list) and target:
        target[draw(st.integers(0, len(target) - 1))] = draw(hostile)
    else:
        data = draw(hostile)
    return data


@given(data=MANIFESTS, mutation=st.data())
def test_mutated_manifests_never_crash(
    builtin_session: Session, tmp_path_factory: Any, data: Any, mutation: Any
) -> None:
    mutated = _mutate(data, mutation.draw)
    result, _ = run(builtin_session, tmp_path_factory.mktemp("m"), mutated)
    assert (result.exit_code == 2) == bool(result.errors)  # api.check raised nothing; the verdict is coherent


@given(
    source=st.binary(max_size=400) | st.text(max_size=400).map(lambda s: s.encode("utf-8", "surrogatepass"))
)
def test_arbitrary_bytes_load_or_fail_in_one_line(source: bytes) -> None:
    from hrpolicy.errors import ManifestError

    for loader in (load_yaml, load_json):
        try:
            loader(source, "fuzz.yaml", max_nodes=2000)
            shown = ""
        except ManifestError as exc:
            shown = str(exc)
        assert "\n" not in shown


def _plant(data: Any, secret: str, draw: Any) -> Any:
    """``secret`` at a random place: a value or a key, somewhere in the manifest, in some disguise."""
    disguised = draw(
        st.sampled_from(
            [
                secret,
                "\t" + secret,
                "\u00a0" + secret,
                "x" * draw(st.integers(0, 130)) + " " + secret,  # cut at 40 or 120 characters
                secret.replace("@", "＠"),
                secret.replace("@", "%40"),
                secret.replace(" ", "\u202f"),
            ]
        )
    )
    data = copy.deepcopy(data)
    spots: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            spots.append(node)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            spots.append(node)
            for child in node:
                walk(child)

    walk(data)
    target = draw(st.sampled_from(spots))
    if isinstance(target, dict):
        if target and draw(st.booleans()):
            target[draw(st.sampled_from(sorted(target)))] = disguised
        else:
            target[disguised] = draw(st.sampled_from(["x", 1, None]))
    else:
        target.append(disguised)
    return data


@given(data=MANIFESTS, planting=st.data(), secret=st.sampled_from(SECRETS))
def test_a_planted_identifier_never_reaches_an_output(
    builtin_session: Session, tmp_path_factory: Any, data: Any, planting: Any, secret: str
) -> None:
    planted = _plant(data, secret, planting.draw)
    _, text = run(builtin_session, tmp_path_factory.mktemp("m"), planted)
    assert not readable(secret, text), text


@given(planting=st.data(), secret=st.sampled_from(SECRETS))
def test_a_planted_identifier_in_the_base_or_a_waiver_never_reaches_an_output(
    builtin_session: Session, planting: Any, secret: str
) -> None:
    body = (
        "markets: [{country: VN, status: exiting}, {country: DE, status: launched}]\n"
        "waivers: [{rule: HRDD-MKT-001, reason: r, approver: {role: gc}, ticket: t, expires: 2027-01-01}]\n"
    )
    doc = load_yaml(manifest(body), "hrpolicy.yaml")
    base = _plant(copy.deepcopy(doc.data), secret, planting.draw)
    for data, base_data in ((_plant(doc.data, secret, planting.draw), None), (doc.data, base)):
        planted = load_json(json.dumps(data), "hrpolicy.json")
        outcome = builtin_session.check_document(planted, today=TODAY, base=base_data)
        errors = outcome if isinstance(outcome, list) else []
        results = () if isinstance(outcome, list) else (outcome,)
        result = RunResult("0", builtin_session.pack.infos, TODAY, results, tuple(errors), "high", 1)
        assert not readable(secret, outputs(builtin_session, result))


@given(data=MANIFESTS, sector=st.sampled_from(["banking", "health", "public_sector", "vpn"]))
def test_a_further_fact_never_takes_a_law_out_of_reach(
    builtin_session: Session, data: Any, sector: str
) -> None:
    """Scopes are reached by any one listed fact, so adding a sector only ever adds scope words; and the
    words reached are always defined ones, sorted."""
    countries = builtin_session.countries
    before = countries.scopes_reached(data)
    assert before == sorted(before)
    assert set(before) <= set(countries.scope_words)
    grown = copy.deepcopy(data)
    product = grown.setdefault("product", {})
    product["sectors"] = sorted({*product.get("sectors", []), sector})
    after = countries.scopes_reached(grown)
    assert set(before) <= set(after)
    assert any(
        sector in spec["reached_by"].get("sectors", ())
        for w, spec in countries.scope_words.items()
        if w in after
    )
