"""`make dev-token USER_ID=<uuid> EMAIL=<address>`: a dev JWT for another (made-up) toolkit user, to
try team access against `make dev` (only local runs accept it). Prints the token."""

from __future__ import annotations

import argparse
import uuid

from devstack.keys import load_or_create
from devstack.stack import StackConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dev-token", description=__doc__.split("\n\n")[0])
    parser.add_argument("--user-id", default="", help="a Supabase-style user id (UUID); default: a new one")
    parser.add_argument("--email", default="rep@example.com", help="the JWT's email claim (for self-linking)")
    args = parser.parse_args(argv)
    user_id = str(uuid.UUID(args.user_id)) if args.user_id else str(uuid.uuid4())
    secrets = load_or_create(StackConfig().dev_dir)
    print(secrets.mint_jwt(user_id=user_id, email=args.email))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
