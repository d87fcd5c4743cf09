"""The demo blog in plain Python, served by RPyC 5.3 (Debian's python3-rpyc)
for bench/python/bench.py: the same members as orbd's demo.Blog and
demo.Entry. Prints the port it listens on, then serves until killed.

    python3 bench/python/rpyc_blog.py
"""
import socket
import sys

import rpyc
from rpyc.utils.server import ThreadedServer


class Entry:
    def __init__(self, name, owner, title, body):
        self.name, self.owner, self.title, self.body = name, owner, title, body


class Blog:
    def __init__(self):
        self.title = "orb demo blog"
        self._entries = {}

    def add_entry(self, title, body):
        name = f"entry-{len(self._entries) + 1}"
        self._entries[name] = Entry(name, "bob", title, body)
        return self._entries[name]

    def entry(self, name):
        return self._entries[name]


class BlogService(rpyc.Service):
    def __init__(self):
        self.exposed_blog = Blog()


def main():
    server = ThreadedServer(BlogService(), hostname="127.0.0.1", port=0,
                            protocol_config={"allow_public_attrs": True,
                                             "allow_setattr": True})
    # TCP_NODELAY on the listener (accepted sockets inherit it): with Nagle
    # on, a reply that follows RPyC's small reference-count messages waits
    # ~40 ms for a delayed ACK.
    server.listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print(server.port, flush=True)
    server.start()


if __name__ == "__main__":
    sys.exit(main())
