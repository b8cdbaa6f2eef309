"""`kb serve`: preview the site, rebuilt and reloaded in the browser whenever a note changes."""

from __future__ import annotations

import argparse
from pathlib import Path

from kb.commands._common import add_vault_argument, vault_path
from kb.commands.build import add_config_argument, config_file, load_site_config, log_to_stderr
from kb.errors import KbError

ORDER = 30


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="preview the site with live reload",
        description="Serve the site on a local address with MkDocs' development server: the vault is "
                    "watched, and the site is rebuilt (links, badges, graph) and the browser reloaded "
                    "when a note changes. Uses ./mkdocs.yml when there is one, else kb's default.")
    add_vault_argument(parser)
    add_config_argument(parser)
    parser.add_argument("-a", "--dev-addr", metavar="IP:PORT", default="127.0.0.1:8000",
                        help="address to serve on (default: 127.0.0.1:8000)")
    parser.add_argument("--open", action="store_true", help="open the site in a browser")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import MkDocsException

    vault = vault_path(args.vault)
    config_path = config_file(args.config_file)
    load_site_config(config_path, vault, None)   # refuse a configuration without kb before serving
    log_to_stderr(quiet=False)
    try:
        serve(config_file=str(config_path), livereload=True, open_in_browser=args.open,
              docs_dir=str(Path(vault).resolve()), dev_addr=args.dev_addr)
    except MkDocsException as error:
        raise KbError(str(error)) from None
    return 0
