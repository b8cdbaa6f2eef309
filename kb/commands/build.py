"""`kb build`: fact-check the vault and publish it as a static site in one step."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from kb.commands._common import add_vault_argument, vault_path
from kb.errors import KbError

ORDER = 20
DEFAULT_SITE_DIR = "site"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "build", help="fact-check the notes and build the static site",
        description="Check every claim of the vault and build the MkDocs site with the kb plugin "
                    "(working wikilinks, backlinks, fact badges, lineage and graph pages). Uses "
                    "./mkdocs.yml when there is one, else kb's default configuration. The site is built "
                    "in a temporary folder beside the target and replaces the old site only when the "
                    "build succeeded. Prints the check's summary; contradicted claims are shown on the "
                    "site and do not fail the build unless --strict.")
    add_vault_argument(parser)
    add_config_argument(parser)
    parser.add_argument("--site-dir", metavar="DIR", default=None,
                        help=f"where to write the site (default: the configuration's site_dir, "
                             f"else {DEFAULT_SITE_DIR}/)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a claim is contradicted")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only warnings and the summary")
    parser.set_defaults(run=run)


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config-file", metavar="FILE", default=None,
                        help="MkDocs configuration (default: ./mkdocs.yml, else kb's own)")


KB_DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "site" / "templates" / "mkdocs.yml"


def config_file(given: str | None) -> Path:
    """The MkDocs configuration to use: the one named, ./mkdocs.yml, or the default shipped with kb."""
    if given is not None:
        path = Path(given)
        if not path.is_file():
            raise KbError(f"{given}: no such file (expected an mkdocs.yml)")
        return path
    local = Path("mkdocs.yml")
    return local if local.is_file() else KB_DEFAULT_CONFIG


def load_site_config(config_path: Path, vault: Path, site_dir: Path | None):
    """mkdocs' own configuration loading, with the vault as docs_dir; a config without kb is refused."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    if site_dir is not None and (site_dir.resolve() == vault.resolve() or vault.resolve() in site_dir.resolve().parents):
        raise KbError(f"--site-dir {site_dir}: inside the vault {vault}/ (kb never writes into a vault)")
    overrides = {"docs_dir": str(vault.resolve())}
    if site_dir is not None:
        overrides["site_dir"] = str(site_dir.resolve())
    try:
        config = load_config(config_file=str(config_path), **overrides)
    except ConfigurationError as error:
        raise KbError(f"{config_path}: {error}") from None
    except Abort as error:   # mkdocs has logged what is wrong with the configuration
        raise KbError(f"{config_path}: {error}") from None
    if "kb" not in config.plugins:
        raise KbError(f"{config_path}: the kb plugin is not enabled (add `- kb` under `plugins:`)")
    return config


def log_to_stderr(quiet: bool) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    return handler


def build_site(config) -> None:
    """Build into a fresh folder beside the target and swap it in; a failed build leaves the old site."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    target = Path(config.site_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.new-"))
    config.site_dir = str(staging)
    try:
        build(config)
    except MkDocsException as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise KbError(f"the site was not built ({error}); {target} is unchanged") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        config.site_dir = str(target)
    os.chmod(staging, 0o755)   # mkdtemp makes it private; a site is meant to be read
    retired = None
    if target.exists():
        retired = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
        os.replace(target, retired / target.name)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    from kb.report import summary_line

    vault = vault_path(args.vault)
    config_path = config_file(args.config_file)
    site_dir = Path(args.site_dir) if args.site_dir else None
    if site_dir is None and config_path == KB_DEFAULT_CONFIG:
        site_dir = Path(DEFAULT_SITE_DIR)   # not beside kb's own configuration file: in the working folder
    handler = log_to_stderr(args.quiet)
    try:
        config = load_site_config(config_path, vault, site_dir)
        build_site(config)
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
    report = config.plugins["kb"].report
    print(f"site: {config.site_dir}")
    if report is None:
        print("fact check: off (check: false in the kb plugin's configuration)")
        return 0
    print(f"fact check: {summary_line(report)}")
    return 1 if args.strict and report.summary.get("contradicted") else 0
