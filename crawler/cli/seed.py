"""``presswash seed --site NAME``: queue a site's entry points in Redis for a shared crawl (docs/scaling.md)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from crawler.config import REDIS_URL_ENV, check_prefix, load_scale_settings

if TYPE_CHECKING:
    pass


def add_seed_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `presswash seed` (the CLI module adds them to its sub-command)."""
    parser.add_argument(
        "--site",
        metavar="NAME",
        action="append",
        dest="site_names",
        help="site to seed (repeatable; default: all enabled)",
    )
    parser.add_argument("--sites", metavar="FILE", help="sites file (default: config/sites.yaml)")
    parser.add_argument(
        "--config", metavar="FILE", help="presswash.yaml with scale.redis_url (a sites file here still works)"
    )
    parser.add_argument("--clean-config", metavar="FILE", help=argparse.SUPPRESS)  # the old name of --config
    parser.add_argument("--redis", metavar="URL", help=f"Redis URL (default: ${REDIS_URL_ENV} or scale.redis_url)")
    parser.add_argument("--prefix", metavar="NAME", help="key prefix (default: scale.redis_prefix, 'presswash')")
    parser.add_argument(
        "--reset", action="store_true", help="drop the site's queued requests and fingerprints first (fresh crawl)"
    )


def seed_command(args: argparse.Namespace) -> int:
    """Queue each site's feeds, sitemaps and start URLs in Redis; `presswash crawl --site` processes take them."""
    import redis

    from crawler.scaleout.coordinator import push_seeds
    from crawler.sites import load_sites, split_config_args

    sites_file, config = split_config_args(args.config, args.sites, args.clean_config)
    scale = load_scale_settings(config)
    url = args.redis or scale.redis_url
    if not url:
        print(f"presswash seed: no Redis: give --redis URL, set {REDIS_URL_ENV} or scale.redis_url", file=sys.stderr)
        return 2
    prefix = check_prefix(args.prefix or scale.redis_prefix)
    sites = load_sites(sites_file).select(args.site_names)
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
    try:
        for site in sites:
            result = push_seeds(client, prefix, site, reset=args.reset)
            round_note = "new round" if result.new_round else "joined the running round"
            print(
                f"presswash seed: {site.name}: {result.queued} entries queued in {result.key}"
                f" ({result.already_queued} already there; {round_note})",
                file=sys.stderr,
            )
    except redis.RedisError as exc:
        print(f"presswash seed: Redis at {url}: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0
