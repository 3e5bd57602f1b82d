"""Starting the processes under test, pinned to a CPU, and reading what they cost from /proc."""

import os
import signal
import socket
import subprocess
import time

TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=60.0):
    """Seconds until a TCP connect to the port succeeds (polled every 0.5 ms), or None."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return time.perf_counter() - start
        except OSError:
            if proc is not None and proc.poll() is not None:
                return None
            time.sleep(0.0005)
    return None


class Proc:
    """A process started under `taskset -c CPU` (taskset execs, so the pid is the program's)."""

    def __init__(self, name, cmd, cpu, port, log, env=None, cwd=None):
        self.name, self.port = name, port
        self.log = open(log, "ab")
        full_env = dict(os.environ, **(env or {}))
        started = time.perf_counter()
        self.popen = subprocess.Popen(
            ["taskset", "-c", str(cpu), *cmd],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=cwd,
        )
        waited = wait_port(port, self.popen)
        if waited is None:
            self.stop()
            raise RuntimeError(f"{name} did not start listening on {port}; see {log}")
        # Spawn to first successful connect.
        self.ready_s = time.perf_counter() - started

    @property
    def pid(self):
        return self.popen.pid

    def pids(self):
        """The process and its descendants (nginx's worker, anything LiteLLM forks)."""
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                    children.setdefault(ppid, []).append(int(entry))
                except (OSError, ValueError, IndexError):
                    pass
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def cpu_seconds(self):
        """User + system CPU time of the process tree (all threads), in seconds."""
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, ValueError, IndexError):
                pass
        return total / TICK

    def thread_cpu_seconds(self, name):
        """User + system CPU time of the process's threads called `name` (e.g. ClawBox's
        request-log writer, `clawbox-log-writer`), in seconds."""
        total, task_dir = 0, f"/proc/{self.pid}/task"
        try:
            tids = os.listdir(task_dir)
        except OSError:
            return 0.0
        for tid in tids:
            try:
                with open(f"{task_dir}/{tid}/comm") as f:
                    if not name.startswith(f.read().strip()):  # comm is cut at 15 characters
                        continue
                with open(f"{task_dir}/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, ValueError, IndexError):
                pass
        return total / TICK

    def memory_kb(self, field="VmRSS"):
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith(field + ":"):
                            total += int(line.split()[1])
            except OSError:
                pass
        return total

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the process (gracefully first); returns its exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()
        return self.popen.returncode
