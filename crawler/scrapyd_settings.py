"""Scrapy settings of a deployed egg (scrapyd): crawler.settings, plus the config files packed in the egg.

scrapyd runs a project from its egg, a zip file: code imports from it, but the YAML files (cleaning
options, boilerplate rules, sites) cannot be opened as paths inside it. setup.py packs ``config/*.yaml``
at the egg's root; this module copies them once per distinct content to
``$TMPDIR/presswash-config-<hash>/`` and points ``PRESSWASH_CONFIG`` and ``PRESSWASH_SITES_CONFIG`` there,
so boilerplate.yaml is found beside presswash.yaml as in the source tree.

The sites file is ``sites.yaml`` unless the scrapyd server's environment names another packed file (or an
absolute path) in ``$PRESSWASH_SITES_FILE``; a job can still pass its own ``-d config=/path/sites.yaml``
spider argument or ``-d setting=PRESSWASH_SITES_CONFIG=...``. Run from a source tree (not a zip), this
module changes nothing: it is then exactly crawler.settings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from crawler.settings import *  # noqa: F403  (a Scrapy settings module is its upper-case names)

SITES_FILE_ENV = "PRESSWASH_SITES_FILE"
_PACKED_DIR = "config/"


def egg_archive() -> Path | None:
    """The zip file this code is imported from, or None when it runs from files on disk."""
    import crawler

    archive = getattr(getattr(crawler, "__loader__", None), "archive", None)  # zipimport.zipimporter
    return Path(archive) if archive else None


def packaged_config_dir(archive: Path | None = None, cache_root: Path | None = None) -> Path | None:
    """Extract the egg's ``config/*.yaml`` to a directory named by their content; return it (None off a zip).

    Content-addressed, so two versions of the egg never share a directory and a job started while another
    extracts the same files waits for nothing: each writes its own temporary directory and renames it.
    """
    archive = archive or egg_archive()
    if archive is None:
        return None
    with zipfile.ZipFile(archive) as egg:
        members = sorted(
            name for name in egg.namelist() if name.startswith(_PACKED_DIR) and name.endswith((".yaml", ".yml"))
        )
        if not members:
            return None
        digest = hashlib.sha256()
        contents = {}
        for name in members:
            contents[name] = egg.read(name)
            digest.update(name.encode() + b"\0" + contents[name] + b"\0")
    root = cache_root or Path(tempfile.gettempdir())
    target = root / f"presswash-config-{digest.hexdigest()[:16]}"
    if target.is_dir():
        return target
    staging = Path(tempfile.mkdtemp(prefix=".presswash-config-", dir=root))
    try:
        for name, data in contents.items():
            path = staging / name[len(_PACKED_DIR) :]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            os.rename(staging, target)
        except OSError:  # another job got there first: its copy has the same content
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


_CONFIG_DIR = packaged_config_dir()
if _CONFIG_DIR is not None:
    PRESSWASH_CONFIG = str(_CONFIG_DIR / "presswash.yaml")
    PRESSWASH_SITES_CONFIG = str(_CONFIG_DIR / os.environ.get(SITES_FILE_ENV, "sites.yaml"))
