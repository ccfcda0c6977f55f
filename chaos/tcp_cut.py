"""A TCP forwarder on 127.0.0.1 that can cut the line, as a database server going down does.

    python chaos/tcp_cut.py PORT UPSTREAM_HOST:UPSTREAM_PORT

Forwards every connection to the upstream. SIGUSR1 cuts: every open connection is closed
at once and new ones are closed as soon as they are accepted, so clients see the server
gone (connection reset, or closed before it answered). SIGUSR2 restores forwarding. Prints
"listening" once it accepts connections, and "cut" / "restored" as it changes.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import threading


class Line:
    """The forwarder's state: the connections it carries and whether it is cut."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.is_cut = False
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()

    def cut(self) -> None:
        with self.lock:
            self.is_cut = True
            sockets, self.open = list(self.open), set()
        for sock in sockets:
            _close(sock)
        print("cut", flush=True)

    def restore(self) -> None:
        with self.lock:
            self.is_cut = False
        print("restored", flush=True)

    def carry(self, client: socket.socket) -> None:
        """Forward one client connection until either side closes or the line is cut."""
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _close(client)
            return
        server.settimeout(None)
        with self.lock:
            if self.is_cut:
                _close(client)
                _close(server)
                return
            self.open.update((client, server))
        threading.Thread(target=_pump, args=(client, server), daemon=True).start()
        _pump(server, client)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass  # the other side, or a cut, closed it
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("upstream")
    args = parser.parse_args()
    host, _, port = args.upstream.rpartition(":")
    line = Line((host, int(port)))
    signal.signal(signal.SIGUSR1, lambda *_: line.cut())
    signal.signal(signal.SIGUSR2, lambda *_: line.restore())
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(128)
    print("listening", flush=True)
    while True:
        client, _ = listener.accept()
        if line.is_cut:
            _close(client)
            continue
        threading.Thread(target=line.carry, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
