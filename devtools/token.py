"""``make token``: print a local officer's ID token, signed by the local issuer of ``make run``.

    python -m devtools.token --office AN --role officer [--user NAME] [--ttl 3600] [--api-port 8000]

Only the token goes to stdout, so ``TOKEN=$(make -s token OFFICE=MC ROLE=supervisor)`` works. The issuer names
the API's port: pass ``--api-port`` (or set ``API_PORT``) when ``make run`` uses another one.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from chalicelib.auth.identity import OFFICE_CODE, Role
from devtools.local_auth import DEFAULT_API_PORT, DEFAULT_TTL_S, issuer_for, mint_id_token, signing_key

if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_TTL_S = 24 * 3600


def _office(value: str) -> str:
    office = value.strip().upper()
    if not OFFICE_CODE.fullmatch(office):
        raise argparse.ArgumentTypeError("an office code is 2 to 4 letters, such as AN or MC")
    return office


def _ttl(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_TTL_S:
        raise argparse.ArgumentTypeError(f"seconds, from 1 to {MAX_TTL_S}")
    return int(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and print the token."""
    parser = argparse.ArgumentParser(prog="python -m devtools.token", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--office", type=_office, default="AN", help="office code (default AN)")
    parser.add_argument("--role", choices=[r.value for r in Role], default=Role.OFFICER.value)
    parser.add_argument("--user", help="the Cognito username (default: <office>.<role>, e.g. an.officer)")
    parser.add_argument("--ttl", type=_ttl, default=DEFAULT_TTL_S, help="lifetime in seconds (default 3600)")
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT") or DEFAULT_API_PORT))
    args = parser.parse_args(argv)
    issuer = issuer_for(f"http://127.0.0.1:{args.api_port}")
    token = mint_id_token(
        signing_key(), issuer=issuer, office=args.office, role=args.role, username=args.user, ttl_s=args.ttl
    )
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
