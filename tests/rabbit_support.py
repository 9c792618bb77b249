"""A RabbitMQ server of a test's own: a node with its own name, ports, data and logs under the test's
temporary folder, run in the foreground as a child process, stopped and started again at will.

``restart(keep_data=True)`` is a broker restart as an operator does one (durable queues and persistent
messages come back); ``restart(keep_data=False)`` kills the node and starts it on a new data folder,
the broker losing everything it held (a new machine, a wiped disk).

The node's environment (``RABBITMQ_NODENAME``, ``RABBITMQ_NODE_PORT``, ``RABBITMQ_DIST_PORT``, its
config, plugins, data and log paths, and ``HOME`` holding an Erlang cookie of mode 600) is the test's;
the machine's ``rabbitmq-env.conf`` is not read (it names the machine's own node)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pika  # type: ignore[import-untyped]
from pika.exceptions import AMQPError  # type: ignore[import-untyped]

__all__ = ["RABBITMQ_SERVER", "RabbitServer", "rabbit_missing"]

_BIN = Path("/usr/lib/rabbitmq/bin")
RABBITMQ_SERVER = _BIN / "rabbitmq-server" if (_BIN / "rabbitmq-server").exists() else None
"""The server script itself (the one in PATH may be a wrapper that switches user)."""


def rabbit_missing() -> str | None:
    """Why a private RabbitMQ cannot be started here, or None."""
    if RABBITMQ_SERVER is None or (shutil.which("erl") is None and not Path("/usr/lib/erlang").exists()):
        return "RabbitMQ (rabbitmq-server and Erlang) is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the node's listener does
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class RabbitServer:
    """``rabbitmq-server`` on free ports (AMQP and distribution), node ``mam-test-<id>@localhost``,
    no plugins; guest/guest on the loopback."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.dist_port = _free_port()
        self.node = f"mam-test-{uuid.uuid4().hex[:8]}@localhost"
        self.data_runs = 0
        self.proc: subprocess.Popen[bytes] | None = None
        home = folder / "home"
        home.mkdir(parents=True, exist_ok=True)
        cookie = home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o600)
        (folder / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n")
        (folder / "enabled_plugins").write_text("[].\n")
        (folder / "rabbitmq-env.conf").write_text("")  # the machine's own (its node name) is not read
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        data = self.folder / f"data-{self.data_runs}"
        data.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        return {
            **env,
            "HOME": str(self.folder / "home"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(self.folder / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(data),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_PID_FILE": str(self.folder / "rabbit.pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self, timeout: float = 60) -> None:
        """Start the node and return once it answers AMQP."""
        log = (self.folder / "server.out").open("ab")
        self.proc = subprocess.Popen(
            [str(RABBITMQ_SERVER)], env=self._env(), stdout=log, stderr=log, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited {self.proc.returncode}:\n{self.output()}")
            if self.answers():
                return
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"rabbitmq-server did not answer within {timeout:g} s:\n{self.output()}")

    def answers(self) -> bool:
        try:
            connection = pika.BlockingConnection(
                pika.URLParameters(self.url + "?connection_attempts=1&socket_timeout=1")
            )
        except (AMQPError, OSError):
            return False
        connection.close()
        return True

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (the node shuts down cleanly, writing what it keeps; SIGKILL after 30 s), or with
        ``kill`` SIGKILL at once (the machine lost)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._wait_gone(self.proc.pid)

    def _wait_gone(self, group: int, timeout: float = 30) -> None:
        """Until the node's processes are gone and its ports free (the script exits before the VM has
        let go of its listener, and a node started at once would find the port taken)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                if all(_bindable(port) for port in (self.port, self.dist_port)):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"the RabbitMQ node {self.node} did not let go of its ports within {timeout:g} s")

    def restart(self, *, keep_data: bool, down: float = 0.0) -> None:
        """Stop, stay down ``down`` seconds, start again: stopped cleanly and started on the same data
        (an operator's restart), or killed and started on a new empty data folder (the broker's machine
        or disk lost)."""
        self.stop(kill=not keep_data)
        if not keep_data:
            self.data_runs += 1
        time.sleep(down)
        self.start()

    def output(self) -> str:
        path = self.folder / "server.out"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""
