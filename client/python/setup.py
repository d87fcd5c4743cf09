"""Builds the `orb` package. Metadata is in pyproject.toml; this file only
adds the generated orb.v1 modules to the build: they come from the
repository's proto/ with the system protoc (gen_stubs.py), so that
`pip install --no-index --no-build-isolation ./client/python` works from a
fresh clone with Debian's packages alone."""
import os
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "proto")


class BuildPyWithStubs(build_py):
    def run(self):
        super().run()
        if not os.path.isdir(os.path.join(PROTO_DIR, "orb", "v1")):
            raise SystemExit(f"setup.py: {PROTO_DIR} not found; build the package from the "
                             "orb repository (pip install ./client/python)")
        sys.path.insert(0, HERE)
        import gen_stubs  # noqa: E402  (next to this file)
        gen_stubs.generate(PROTO_DIR, self.build_lib)


# orb.v1 is not listed: it does not exist in the source tree and is written
# straight into the build by BuildPyWithStubs.
setup(cmdclass={"build_py": BuildPyWithStubs}, packages=["orb"],
      package_data={"orb": ["py.typed"]})
