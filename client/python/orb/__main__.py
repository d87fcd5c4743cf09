"""``python -m orb TARGET [--token T | --ticket T] [--tls] [-c CODE]``: an
interactive shell with ``root`` (the root object's proxy), ``conn`` and
``orb`` bound. With -c, runs CODE instead and exits."""
from __future__ import annotations

import argparse
import code
import os
import sys
from typing import List, Optional

import orb


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orb", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="the broker, host:port")
    parser.add_argument("--token", default=os.environ.get("ORB_TOKEN"),
                        help="bearer token (default: $ORB_TOKEN)")
    parser.add_argument("--ticket", help="signed ticket")
    parser.add_argument("--tls", action="store_true", help="TLS with the system's roots")
    parser.add_argument("--ca", help="CA certificate (PEM) that signs the broker's certificate")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="default deadline per operation, seconds")
    parser.add_argument("-c", dest="command", help="run this code and exit")
    args = parser.parse_args(argv)
    tls = orb.TLS(ca=args.ca) if args.ca else args.tls
    try:
        conn = orb.connect(args.target, token=args.token, ticket=args.ticket, tls=tls,
                           timeout=args.timeout, client_name="orb-shell")
    except orb.OrbError as e:
        print(f"python -m orb: cannot open a session with {args.target}: {e}", file=sys.stderr)
        return 1
    scope = {"root": conn.root, "conn": conn, "orb": orb}
    with conn:
        if args.command is not None:
            exec(compile(args.command, "<-c>", "exec"), scope)
            return 0
        banner = (f"orb shell: connected to {args.target} as {conn.userid or 'anonymous'}; "
                  f"root is {conn.root!r}\n`root`, `conn` and `orb` are bound; "
                  "dir(root) lists what you may use.")
        code.interact(banner=banner, local=scope, exitmsg="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
