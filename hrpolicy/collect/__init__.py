"""Collecting manifests from many repositories into one folder for ``hrpolicy report``, with provenance
(``collect.json``). Imported only by ``hrpolicy collect``, so ``hrpolicy check`` never loads PyGithub."""
