# The Dockerfile, checked without a Docker engine: dockerfile-utils' linter, then its structure
# (a Debian 12 build stage and a Debian 12 runtime stage, a non-root user, the HEALTHCHECK on the
# probe port's /health/live, the node started on the mounted config, every COPY source present
# and not excluded by .dockerignore), the runtime packages against the shared libraries the
# binary links, and the image's config file against `x0tta6bl4 check-config`. With a Docker
# engine the image is also built and started: its HEALTHCHECK must turn healthy and `docker logs`
# must show the node's start line; without one that test is skipped and says what is not run.
import fnmatch
import json
import os
import re
import shlex
import shutil
import tempfile
import time
import unittest

from tools import BINARY, repo_path, require, run, tool

DOCKERFILE = repo_path("Dockerfile")
IMAGE_CONFIG = "deploy/docker/x0tta6bl4.toml"


def instructions(path=DOCKERFILE):
    """[(KEYWORD, argument text)] with continuation lines joined and comments dropped."""
    result, pending = [], ""
    with open(path) as f:
        for line in f:
            stripped = line.strip()
            if not pending and (not stripped or stripped.startswith("#")):
                continue
            if stripped.startswith("#"):
                continue
            pending += " " + stripped.rstrip("\\").strip() if pending else stripped.rstrip("\\").strip()
            if not stripped.endswith("\\"):
                keyword, _, rest = pending.partition(" ")
                result.append((keyword.upper(), rest.strip()))
                pending = ""
    return result


def stages():
    """[{'from': image, 'name': alias, 'steps': [(KEYWORD, args)]}] in order."""
    out = []
    for keyword, args in instructions():
        if keyword == "FROM":
            words = args.split()
            out.append({"from": words[0], "name": words[2] if len(words) > 2 else None, "steps": []})
        else:
            out[-1]["steps"].append((keyword, args))
    return out


def apt_packages(run_args):
    """The packages of the `apt-get install` in a RUN instruction."""
    m = re.search(r"apt-get install ((?:-\S+\s+)*)(.*?)(?:&&|$)", run_args)
    return [w for w in m.group(2).split() if not w.startswith("-")] if m else []


def dockerignore():
    with open(repo_path(".dockerignore")) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


class DockerfileTest(unittest.TestCase):
    def test_dockerfile_utils_lint_is_clean(self):
        lint = require("dockerfile-utils", "the Dockerfile's syntax (instructions, flags, ports)")
        out = run([lint, "lint", DOCKERFILE])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_hadolint_when_installed(self):
        hadolint = tool("hadolint")
        if hadolint is None:
            self.skipTest("hadolint is not packaged for Debian 12 nor on npm: its best-practice rules "
                          "(DL3xxx, shellcheck of RUN) are not checked; dockerfile-utils lint and the "
                          "structural checks here run instead")
        out = run([hadolint, DOCKERFILE])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)

    def test_build_and_runtime_stages_from_debian_12(self):
        s = stages()
        self.assertGreaterEqual(len(s), 2, "a multi-stage build")
        self.assertEqual(s[0]["from"], "debian:12")
        self.assertEqual(s[-1]["from"].split(":")[0], "debian")
        self.assertTrue(s[-1]["from"].split(":")[1].startswith("12"), s[-1]["from"])
        build_runs = " ".join(a for k, a in s[0]["steps"] if k == "RUN")
        self.assertIn("cmake -S . -B build", build_runs, "built with the repository's CMake")
        self.assertIn("--target x0tta6bl4", build_runs)
        runtime_runs = " ".join(a for k, a in s[-1]["steps"] if k == "RUN")
        self.assertNotRegex(runtime_runs, r"\b(g\+\+|cmake|ninja-build|[a-z0-9+.-]+-dev)\b",
                            "the runtime stage installs no build tools or -dev packages")

    def test_runtime_runs_as_a_non_root_user(self):
        users = [a for k, a in stages()[-1]["steps"] if k == "USER"]
        self.assertTrue(users, "the runtime stage sets USER")
        user = users[-1].split(":")[0]
        self.assertNotIn(user, ("root", "0"), "the node must not run as root")

    def test_healthcheck_probes_health_live_on_the_probe_port(self):
        checks = [a for k, a in stages()[-1]["steps"] if k == "HEALTHCHECK"]
        self.assertEqual(len(checks), 1, "one HEALTHCHECK in the runtime stage")
        self.assertIn("CMD", checks[0])
        self.assertRegex(checks[0], r"127\.0\.0\.1:8081/health/live")
        runtime_runs = " ".join(a for k, a in stages()[-1]["steps"] if k == "RUN")
        self.assertIn("curl", apt_packages(runtime_runs), "the HEALTHCHECK's curl is installed")

    def test_starts_the_node_on_the_mounted_config(self):
        steps = dict(stages()[-1]["steps"])
        entry = json.loads(steps["ENTRYPOINT"]) + json.loads(steps["CMD"])
        self.assertIn("/usr/local/bin/x0tta6bl4", entry)
        self.assertEqual(entry[-3:], ["run", "--config", "/etc/x0tta6bl4/x0tta6bl4.toml"])
        copies = [a for k, a in stages()[-1]["steps"] if k == "COPY"]
        self.assertIn(f"{IMAGE_CONFIG} /etc/x0tta6bl4/x0tta6bl4.toml", copies)

    def test_every_copy_source_exists_and_is_in_the_build_context(self):
        ignored = dockerignore()
        names = {s["name"] for s in stages() if s["name"]}
        for stage in stages():
            for keyword, args in stage["steps"]:
                if keyword != "COPY":
                    continue
                words = shlex.split(args)
                from_stage = [w.split("=", 1)[1] for w in words if w.startswith("--from=")]
                sources = [w for w in words if not w.startswith("--")][:-1]
                if from_stage:
                    self.assertIn(from_stage[0], names, args)
                    continue
                for src in sources:
                    self.assertTrue(os.path.exists(repo_path(src)), f"COPY {src}: not in the repo")
                    top = src.rstrip("/").split("/")[0]
                    for pattern in ignored:
                        self.assertFalse(fnmatch.fnmatch(top, pattern.rstrip("/")),
                                         f"COPY {src} is excluded by .dockerignore ({pattern})")

    def test_what_the_build_stage_copies_is_enough_for_cmake(self):
        cmake, ninja = require("cmake", "the build stage's CMake configure"), require("ninja", "the build graph")
        build = stages()[0]
        with tempfile.TemporaryDirectory() as d:
            for keyword, args in build["steps"]:
                if keyword != "COPY":
                    continue
                *sources, dest = shlex.split(args)
                # Docker's rules: a directory's contents go into dest; a file into dest/ (or
                # becomes dest). WORKDIR /src is the context's root here.
                for src in sources:
                    if os.path.isdir(repo_path(src)):
                        shutil.copytree(repo_path(src), os.path.join(d, dest), dirs_exist_ok=True,
                                        ignore=shutil.ignore_patterns("__pycache__"))
                    elif dest.endswith("/") or dest == ".":
                        os.makedirs(os.path.join(d, dest), exist_ok=True)
                        shutil.copy(repo_path(src), os.path.join(d, dest, os.path.basename(src)))
                    else:
                        shutil.copy(repo_path(src), os.path.join(d, dest))
            out = run([cmake, "-S", d, "-B", os.path.join(d, "build"), "-G", "Ninja",
                       "-DCMAKE_BUILD_TYPE=Release", "-DX0_BENCH=OFF"], timeout=120)
            self.assertEqual(out.returncode, 0, out.stdout[-3000:] + out.stderr[-3000:])
            graph = run([ninja, "-C", os.path.join(d, "build"), "-n", "x0tta6bl4"])
            self.assertEqual(graph.returncode, 0, graph.stdout[-3000:] + graph.stderr[-3000:])

    def test_the_binary_copied_is_the_one_the_build_stage_writes(self):
        build = stages()[0]
        workdir = [a for k, a in build["steps"] if k == "WORKDIR"][-1]
        copies = [a for k, a in stages()[-1]["steps"] if k == "COPY" and "--from=" in a]
        self.assertIn(f"--from={build['name']} {workdir}/build/x0tta6bl4 /usr/local/bin/x0tta6bl4",
                      copies)

    def test_runtime_packages_provide_every_shared_library_of_the_binary(self):
        if not os.path.exists(BINARY):
            self.fail(f"binary not found: {BINARY}")
        if tool("dpkg") is None or tool("ldd") is None or tool("objdump") is None:
            self.skipTest("dpkg/ldd/objdump not available: the runtime packages are not checked "
                          "against the binary")
        runtime_runs = " ".join(a for k, a in stages()[-1]["steps"] if k == "RUN")
        declared = set(apt_packages(runtime_runs))
        in_slim_image = {"libc6", "libgcc-s1", "libstdc++6"}  # debian:12-slim's own (apt needs them)
        # The binary's own NEEDED entries must be declared; what those libraries need in turn
        # (libcurl4's libnghttp2-14, ...) apt installs with them.
        needed = set(re.findall(r"NEEDED\s+(\S+)", run(["objdump", "-p", BINARY]).stdout))
        self.assertTrue(needed)
        libs = [path for name, path in re.findall(r"(\S+) => (/\S+)", run(["ldd", BINARY]).stdout)
                if name in needed]
        self.assertTrue(libs)
        owners = {}
        for line in run(["dpkg", "-S", *libs, *map(os.path.realpath, libs)]).stdout.splitlines():
            package, _, path = line.partition(": ")
            owners[path] = package.split(":")[0]
        for lib in libs:
            package = owners.get(lib) or owners.get(os.path.realpath(lib))
            self.assertIsNotNone(package, f"no Debian package owns {lib}")
            self.assertIn(package, declared | in_slim_image,
                          f"{lib} comes from {package}, which the runtime stage does not install")

    def test_runtime_packages_exist_in_debian(self):
        if tool("apt-cache") is None:
            self.skipTest("apt-cache is not installed: the runtime package names are not checked")
        runtime_runs = " ".join(a for k, a in stages()[-1]["steps"] if k == "RUN")
        packages = apt_packages(runtime_runs)
        policy = run(["apt-cache", "policy", *packages]).stdout
        known = dict(re.findall(r"^(\S+):\n\s+Installed: .*\n\s+Candidate: (\S+)", policy, re.M))
        if not known:
            self.skipTest("apt-cache has no package lists (apt-get update): the runtime package "
                          "names are not checked")
        for package in packages:
            self.assertNotIn(known.get(package, "(none)"), ("(none)",), f"no Debian package {package}")

    def test_the_image_config_is_valid_and_listens_on_all_interfaces(self):
        out = run([BINARY, "check-config", repo_path(IMAGE_CONFIG)])
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        with open(repo_path(IMAGE_CONFIG)) as f:
            text = f.read()
        for listener, port in (("data", 8080), ("health", 8081), ("metrics", 9090), ("mesh", 7946)):
            self.assertIn(f'{listener} = "0.0.0.0:{port}"', text)

    def test_image_builds_starts_and_turns_healthy(self):
        docker = tool("docker")
        if docker is None or run([docker, "info"], timeout=20).returncode != 0:
            self.skipTest("no Docker engine here (docker client only): the image is not built "
                          "(`docker build`), not started, its HEALTHCHECK is not seen turning "
                          "healthy and `docker logs` is not read; the checks above cover the file")
        image = "x0tta6bl4:test"
        out = run([docker, "build", "-q", "-t", image, repo_path()], timeout=1800)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        # The image as shipped: its CMD (the image's config), its HEALTHCHECK, no ports published
        # (the check runs inside the container, on its loopback).
        name = f"x0tta6bl4-test-{os.getpid()}"
        started = run([docker, "run", "-d", "--name", name, image], timeout=120)
        self.assertEqual(started.returncode, 0, started.stdout + started.stderr)
        self.addCleanup(run, [docker, "rm", "-f", name], timeout=60)

        def logs():
            out = run([docker, "logs", name], timeout=30)
            return out.stdout + out.stderr  # the node logs on stderr; docker logs keeps the stream

        # Health is "starting" until the first check, one --interval (10 s) after the start;
        # failures count only after --start-period (30 s), and three make it "unhealthy".
        deadline, state = time.monotonic() + 90, {}
        while time.monotonic() < deadline:
            inspect = run([docker, "inspect", "--format", "{{json .State}}", name], timeout=30)
            self.assertEqual(inspect.returncode, 0, inspect.stdout + inspect.stderr)
            state = json.loads(inspect.stdout)
            health = (state.get("Health") or {}).get("Status")
            if health == "healthy" or health == "unhealthy" or state.get("Status") != "running":
                break
            time.sleep(2)
        self.assertEqual(state.get("Status"), "running", f"the container stopped: {logs()[-3000:]}")
        self.assertIn("Health", state, "the image has no HEALTHCHECK")
        self.assertEqual(state["Health"]["Status"], "healthy",
                         f"HEALTHCHECK: {state['Health'].get('Log')}; logs: {logs()[-3000:]}")
        text = logs()
        self.assertRegex(text, r"INFO NODE started version=\S+ node_id=\S+ "
                               r'config=/etc/x0tta6bl4/x0tta6bl4\.toml ', "the node's start line")
        self.assertRegex(text, r"data=0\.0\.0\.0:8080 health=0\.0\.0\.0:8081")
        self.assertNotIn(" ERROR ", text, "`docker logs ... | grep ERROR` finds nothing on a clean start")


if __name__ == "__main__":
    unittest.main()
