"""Coverage-guided fuzzing of hrpolicy's input handling with atheris (optional).

    python scripts/fuzz.py -max_total_time=600

Each input is fed to the YAML and JSON loaders and, when it loads, to a whole check of a manifest with the
built-in pack and every output format. The properties are the ones docs/security.md states: a known error
(exit 2) or a result, never any other exception, and no output that starts a GitHub workflow command.
Without atheris, use the property tests: HYPOTHESIS_PROFILE=fuzz pytest tests/unit/test_properties.py.
"""

from __future__ import annotations

import datetime
import io
import sys


def main() -> None:
    try:
        import atheris
    except ImportError:
        sys.exit(
            "atheris is not installed (pip install atheris); see docs/security.md for the hypothesis run"
        )

    with atheris.instrument_imports():
        from hrpolicy.errors import HrpolicyError
        from hrpolicy.evaluate.session import Session, SessionConfig
        from hrpolicy.load.jsonload import load_json
        from hrpolicy.load.yaml import load_yaml
        from hrpolicy.model import ManifestResult, OutputOptions, RunResult

    session = Session(SessionConfig(autoload=False))
    formats = session.plugins.output_formats("check")
    today = datetime.date(2026, 11, 28)

    def one(data: bytes) -> None:
        for loader in (load_yaml, load_json):
            try:
                doc = loader(data, "fuzz.yaml")
            except HrpolicyError:
                continue
            outcome = session.check_document(doc, today=today)
            results = (outcome,) if isinstance(outcome, ManifestResult) else ()
            errors = () if isinstance(outcome, ManifestResult) else tuple(outcome)
            result = RunResult("fuzz", session.pack.infos, today, results, errors, "high", 1)
            for name, fmt in formats.items():
                stream = io.StringIO()
                fmt.writers["check"](result, stream, OutputOptions())
                lines = stream.getvalue().splitlines()
                if name == "github":  # workflow commands by design: only annotations, one per line
                    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
                else:
                    assert not any(line.startswith("::") for line in lines)

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
