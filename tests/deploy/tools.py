# Where the deployment checks find their tools: on PATH (Debian packages) or in the npm tools
# directory scripts/install-deps.sh fills ($X0_TOOLS_DIR, default ~/.cache/x0tta6bl4-tools).
# A missing tool skips the check with a message that names it and how to install it.
import os
import shutil
import subprocess
import unittest

SOURCE_DIR = os.environ.get(
    "X0_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BINARY = os.environ.get("X0_BINARY", os.path.join(SOURCE_DIR, "build", "x0tta6bl4"))
TOOLS_DIR = os.environ.get("X0_TOOLS_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "x0tta6bl4-tools")
NODE_MODULES = os.path.join(TOOLS_DIR, "node_modules")

INSTALL_HINT = "run scripts/install-deps.sh"


def tool(name):
    """The path of a tool: PATH first, then the npm tools' bin directories; None if absent."""
    for path in (os.path.join(TOOLS_DIR, "bin", name), os.path.join(NODE_MODULES, ".bin", name)):
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def require(name, what):
    """The tool's path, or skip the test: `what` says which check cannot run without it."""
    path = tool(name)
    if path is None:
        raise unittest.SkipTest(f"{name} is not installed ({INSTALL_HINT}): {what} not checked")
    return path


def require_npm(package, what):
    """An npm package in the tools directory (its folder), or skip the test."""
    folder = os.path.join(NODE_MODULES, *package.split("/"))
    if not os.path.isdir(folder):
        raise unittest.SkipTest(f"npm package {package} is not in {NODE_MODULES} ({INSTALL_HINT}): "
                                f"{what} not checked")
    require("node", what)
    return folder


def run(args, **kw):
    kw.setdefault("timeout", 60)
    return subprocess.run(args, capture_output=True, text=True, **kw)


def repo_path(*parts):
    return os.path.join(SOURCE_DIR, *parts)


def tracked_files(*patterns):
    """Files of the repository matching git pathspecs (the work tree when git is unavailable)."""
    out = run(["git", "-C", SOURCE_DIR, "ls-files", "--cached", "--others", "--exclude-standard",
               *patterns])
    if out.returncode != 0:
        raise unittest.SkipTest(f"git ls-files failed: {out.stderr.strip()}")
    return [f for f in out.stdout.splitlines() if os.path.exists(repo_path(f))]
