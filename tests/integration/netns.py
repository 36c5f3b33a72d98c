# Network namespaces for the mesh tests that cut or thin links: each node gets a namespace of its
# own (its own stack, its own iptables), joined to the others by a veth pair whose other end is
# on a bridge in the root namespace. A rule inside a node's namespace then acts on that node's
# traffic alone, as a firewall between hosts would, and never on the host's loopback (which
# other tests, and other checkouts' test runs on the same host, keep using). The bridge has an
# address too, so the test reaches every node from the root namespace.
#
# Needs Linux, `ip` (iproute2), `iptables` and root (CAP_NET_ADMIN, and CAP_SYS_ADMIN for the
# mounts `ip netns add` makes); where a namespace cannot be made the test is skipped with what
# failed. Everything is named after the test process's id and removed at the test's cleanup,
# also when the test fails; what a run that died before its cleanup (a ctest timeout's SIGKILL)
# left is removed by the next lab made on the host.
import fcntl
import os
import re
import shutil
import subprocess

# Each lab takes the first 10.77.N.0/24 no interface of the root namespace is in, so labs of
# test runs side by side never share a route. .1 is the bridge, .<index> the node <index>.
SUBNET_PREFIX = "10.77"
SUBNET_LOCK = "/run/x0tta6bl4-netns.lock"  # held from choosing a subnet until the bridge has it
NAMESPACE_INTERFACE = "eth0"  # the namespace's end of its veth pair
# Names carry the owner's process id; a veth's name is at most 15 characters (x0v + 7 + - + 3).
LAB_NAME = re.compile(r"x0(?:br|ns|v)(\d+)(?:-\d+)?")


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True)


def netns_names():
    """The names `ip netns list` shows (each line is `NAME` or `NAME (id: N)`)."""
    return [line.split()[0] for line in run("ip", "netns", "list").stdout.splitlines()
            if line.strip()]


def link_names():
    """Every interface of the root namespace (`ip -o link` lines are `N: NAME[@PEER]: ...`)."""
    return [line.split(":")[1].strip().split("@")[0]
            for line in run("ip", "-o", "link", "show").stdout.splitlines() if ":" in line]


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LabNames:
    """What one lab, of the process `owner`, makes: its names and how to remove them all."""

    def __init__(self, owner):
        self.bridge = f"x0br{owner}"
        self.namespace_prefix = f"x0ns{owner}-"
        self.veth_prefix = f"x0v{owner}-"  # the root namespace's end of each pair
        self.forward_rule = ["FORWARD", "-i", self.bridge, "-o", self.bridge, "-j", "ACCEPT"]

    def existing(self):
        return ([n for n in netns_names() if n.startswith(self.namespace_prefix)]
                + [l for l in link_names()
                   if l == self.bridge or l.startswith(self.veth_prefix)])

    def remove(self):
        """Deletes the namespaces, veths, bridge and FORWARD rule, whichever exist."""
        for name in netns_names():
            if name.startswith(self.namespace_prefix):
                run("ip", "netns", "del", name)
        # A namespace that a still running node holds outlives its name, and its veth pair with
        # it; deleting the root namespace's end removes both ends now. (The harness kills the
        # nodes right after the lab's cleanup: cleanups run last registered first.)
        for link in link_names():
            if link.startswith(self.veth_prefix) or link == self.bridge:
                run("ip", "link", "del", link)
        while run("iptables", "-w", "-D", *self.forward_rule).returncode == 0:
            pass


def remove_dead_labs():
    """Removes the labs of processes that no longer exist (and of this one: a pid is reused)."""
    owners = {int(m.group(1)) for m in map(LAB_NAME.fullmatch, netns_names() + link_names()) if m}
    for owner in owners:
        if owner == os.getpid() or not process_alive(owner):
            LabNames(owner).remove()


class NetnsLab:
    """One namespace per node index, all on one bridge; removed at `test`'s cleanup. One lab
    at a time in a process (the names are the process's)."""

    def __init__(self, test, indices):
        self.test = test
        self.names = LabNames(os.getpid())
        self.bridge = self.names.bridge
        self.subnet = None
        for tool in ("ip", "iptables"):
            if shutil.which(tool) is None:
                test.skipTest(f"`{tool}` is not installed (scripts/install-deps.sh installs it): "
                              "the mesh's partition and packet-loss tests run in network "
                              "namespaces and need it")
        for index in indices:
            if not 2 <= index <= 254:  # .1 is the bridge's
                raise ValueError(f"node index {index}: a lab's nodes are 2 to 254")
        remove_dead_labs()
        # Registered before anything is made, so a failure half-way through leaves nothing.
        test.addCleanup(self._remove_and_check)
        for index in indices:
            self._make_namespace(index)
        self._make_bridge()
        for index in indices:
            self._link_namespace(index)

    def namespace(self, index):
        return f"{self.names.namespace_prefix}{index}"

    def address(self, index):
        return f"{self.subnet}.{index}"

    @staticmethod
    def exec_prefix(name):
        """What runs a command inside namespace `name`."""
        return ["ip", "netns", "exec", name]

    def iptables(self, name, *args):
        """iptables inside namespace `name` (its own tables, not the host's)."""
        # -w: the legacy backend's lock file is shared by every namespace.
        return run(*self.exec_prefix(name), "iptables", "-w", *args)

    def drop(self, name, src_ip):
        """Namespace `name` silently drops every packet from src_ip."""
        self._rule(name, "-A", "INPUT", "-s", src_ip, "-j", "DROP")

    def loss(self, name, probability, sources):
        """Namespace `name` drops a random share `probability` of the packets from each source
        (only those: the test's own requests from the bridge address get through whole)."""
        for src_ip in sources:
            self._rule(name, "-A", "INPUT", "-s", src_ip, "-m", "statistic", "--mode", "random",
                       "--probability", str(probability), "-j", "DROP")

    def heal(self, name):
        """Removes every rule drop() and loss() added in namespace `name`."""
        self._rule(name, "-F", "INPUT")

    def dropped_packets(self, name):
        """Packets each DROP rule of namespace `name`'s INPUT chain dropped, in rule order."""
        listing = self.iptables(name, "-L", "INPUT", "-v", "-n", "-x").stdout
        return [int(line.split()[0]) for line in listing.splitlines()
                if len(line.split()) > 2 and line.split()[2] == "DROP"]

    def _rule(self, name, *args):
        done = self.iptables(name, *args)
        self.test.assertEqual(done.returncode, 0, f"iptables {' '.join(args)} in {name}: "
                                                  f"{done.stderr.strip()}")

    def _make_namespace(self, index):
        name = self.namespace(index)
        made = run("ip", "netns", "add", name)
        if made.returncode != 0:
            self.test.skipTest("cannot create network namespaces here (need root/CAP_NET_ADMIN): "
                               f"`ip netns add {name}`: {made.stderr.strip()}")
        self._setup("ip", "-n", name, "link", "set", "lo", "up")

    def _make_bridge(self):
        made = run("ip", "link", "add", self.bridge, "type", "bridge")
        if made.returncode != 0:
            self.test.skipTest(f"cannot create a bridge here (the mesh's namespace tests need "
                               f"one): `ip link add {self.bridge} type bridge`: "
                               f"{made.stderr.strip()}")
        with open(SUBNET_LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.subnet = self._free_subnet()
            self._setup("ip", "addr", "add", f"{self.address(1)}/24", "dev", self.bridge)
        self._setup("ip", "link", "set", self.bridge, "up")
        # With br_netfilter loaded, frames crossing a bridge go through the root namespace's
        # FORWARD chain, which Docker hosts set to DROP: let this bridge's own traffic through.
        self._setup("iptables", "-w", "-I", *self.names.forward_rule)

    def _free_subnet(self):
        in_use = run("ip", "-o", "-4", "addr", "show").stdout
        for n in range(256):
            subnet = f"{SUBNET_PREFIX}.{n}"
            if f" {subnet}." not in in_use:
                return subnet
        self.test.skipTest(f"no free {SUBNET_PREFIX}.N.0/24 for a namespace lab here")

    def _link_namespace(self, index):
        name, veth = self.namespace(index), f"{self.names.veth_prefix}{index}"
        made = run("ip", "link", "add", veth, "type", "veth", "peer", "name", NAMESPACE_INTERFACE,
                   "netns", name)
        if made.returncode != 0:
            self.test.skipTest(f"cannot create a veth pair here: `ip link add {veth} type veth`: "
                               f"{made.stderr.strip()}")
        self._setup("ip", "link", "set", veth, "master", self.bridge)
        self._setup("ip", "link", "set", veth, "up")
        self._setup("ip", "-n", name, "addr", "add", f"{self.address(index)}/24", "dev",
                    NAMESPACE_INTERFACE)
        self._setup("ip", "-n", name, "link", "set", NAMESPACE_INTERFACE, "up")

    def _setup(self, *args):
        done = run(*args)
        self.test.assertEqual(done.returncode, 0, f"{' '.join(args)}: {done.stderr.strip()}")

    def _remove_and_check(self):
        self.names.remove()
        left = self.names.existing()
        if left:
            raise AssertionError(f"network namespace lab not removed: {left}")
