"""The same session with the `orb` package (pip install ./client/python):

    python3 examples/python/blog_orb.py 127.0.0.1:50051
"""
import sys

import orb


def main(address):
    with orb.connect(address, token="bob-demo-token") as conn:
        blog = conn.root
        print(f"opened a session as {conn.userid}; root is a {orb.type_name(blog)}")
        print(f"title: {blog.title}")
        entry = blog.add_entry("Hello", "from Python")
        print(f"add_entry returned a {orb.type_name(entry)} proxy")
        entry.title = "Hello again"
        print(f"entry title: {entry.title}")
        try:
            blog._secret
        except AttributeError as e:  # orb.NameNotFound
            print(f"_secret: {e.code.name} reason={e.reason} gate={e.gate}")
    print("closed the session, releasing every handle")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051")
