"""How `make run` serves: threads no slow or idle client can hold, and a clear busy port.

gunicorn's sync worker reads a request with no time limit: two clients that send half a
request each hold both workers until they give up. `scripts/run` starts this threaded
worker instead, with keep-alive off, so each connection carries one request and every read
and write on it has a deadline; a client that has not finished sending by then loses its
connection, and the other threads go on serving. On the open internet, put a buffering
proxy (nginx, Caddy) in front too: it holds slow clients for free and passes on only whole
requests.

`python -m core.serving HOST:PORT` checks that the address can be bound, before anything
is started, and says in one line why not.
"""

from __future__ import annotations

import errno
import socket
import sys

from gunicorn.workers.gthread import TConn, ThreadWorker

#: Seconds a client has to send its whole request, and to take each part of the answer.
#: Twilio and the facilitator app send a request of a few kilobytes at once.
REQUEST_SECONDS = 10.0


class _BoundedConnection(TConn):
    """A connection whose reads and writes give up after REQUEST_SECONDS."""

    def init(self) -> None:
        was_initialized = self.initialized
        super().init()
        if not was_initialized:
            # The worker thread set the socket blocking just before: give it a deadline.
            self.sock.settimeout(REQUEST_SECONDS)


class BoundedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker with a deadline on every connection's reads and writes."""

    def accept(self, listener: socket.socket) -> None:
        """Take a waiting connection and hand it to the thread pool."""
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return  # another worker took it, or the client left already
            raise
        self.nr_conns += 1
        client.setblocking(True)
        self.enqueue_req(_BoundedConnection(self.cfg, client, address, listener.getsockname()))


def bind_problem(bind: str) -> str | None:
    """Say why `bind` (HOST:PORT) cannot be served on, or None when it can."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None  # a unix socket or a form gunicorn will judge itself
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn binds: a port left in TIME_WAIT by a previous run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, int(port)))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"{bind} is already in use: stop what serves there, or set SIGAP_BIND "
                    f"(e.g. SIGAP_BIND={host}:{int(port) + 1} make run)"
                )
            return f"cannot serve on {bind}: {exc.strerror or exc}"
    return None


def main(argv: list[str]) -> int:
    """Check the address given; print one line and return 1 when it cannot be served on."""
    if len(argv) != 1:
        print("usage: python -m core.serving HOST:PORT", file=sys.stderr)
        return 2
    problem = bind_problem(argv[0])
    if problem is None:
        return 0
    print(f"sigap: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
