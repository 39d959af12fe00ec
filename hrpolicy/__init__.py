"""hrpolicy: human-rights due diligence requirements as code.

Public API: ``hookimpl`` (for plugins) and ``__version__``. Importing this package does no work.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("hrpolicy")
"""Marker for plugin hook implementations: ``@hookimpl def hrpolicy_...``."""

__all__ = ["__version__", "hookimpl"]
