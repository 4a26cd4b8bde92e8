"""Egg build for scrapyd-deploy (scrapyd-client runs ``python setup.py bdist_egg``); pip uses pyproject.toml.

Everything about the package itself is in pyproject.toml. This file adds only what a deployed egg needs:

- ``config/*.yaml`` inside the egg (as ``config/...`` at its root, the project's own layout), so the
  deployed spider has its cleaning options, boilerplate rules and sites: crawler.scrapyd_settings
  extracts them at start;
- the ``scrapy`` entry point naming that settings module, which scrapyd reads to run the egg. setuptools
  ignores entry points given to setup() when pyproject.toml has a [project] table, so it is added by
  the egg_info command below.

Both apply only to ``bdist_egg``: a wheel built by pip (data_files would land in ``<prefix>/config``) stays
exactly what pyproject.toml describes.
"""

import sys
from glob import glob

from setuptools import setup
from setuptools.command.egg_info import egg_info

SCRAPY_ENTRY_POINT = "settings = crawler.scrapyd_settings"


class EggInfoWithScrapySettings(egg_info):
    """egg_info that also writes ``[scrapy] settings = ...`` into entry_points.txt."""

    def run(self) -> None:
        entry_points = self.distribution.entry_points or {}
        if "scrapy" not in entry_points:
            self.distribution.entry_points = {**entry_points, "scrapy": [SCRAPY_ENTRY_POINT]}
        super().run()


if "bdist_egg" in sys.argv:
    setup(
        data_files=[("config", sorted(glob("config/*.yaml")))],
        cmdclass={"egg_info": EggInfoWithScrapySettings},
    )
else:
    setup()
