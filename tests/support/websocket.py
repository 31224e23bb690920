"""A websocket client for end-to-end tests: wsproto over a plain socket to 127.0.0.1."""

from __future__ import annotations

import socket
from collections import deque
from collections.abc import Sequence

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    Message,
    RejectConnection,
    Request,
    TextMessage,
)


class Connection:
    """The client side of a websocket on a connected socket (also the DevTools client's)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending: deque[Event] = deque()

    def send(self, event: Event) -> None:
        self.sock.sendall(self.ws.send(event))

    def next_event(self) -> Event:
        while not self.pending:
            data = self.sock.recv(65536)
            self.ws.receive_data(data or None)  # None: the server closed the connection
            self.pending.extend(self.ws.events())
            if not data and not self.pending:
                raise AssertionError("the server closed the connection")
        return self.pending.popleft()


def websocket_exchange(port: int, path: str, texts: Sequence[str]) -> list[str]:
    """Connect to ws://127.0.0.1:``port````path``, send each text, return the replies; close."""
    with socket.create_connection(("127.0.0.1", port), timeout=5.0) as sock:
        connection = Connection(sock)
        connection.send(Request(host=f"127.0.0.1:{port}", target=path))
        accepted = connection.next_event()
        if isinstance(accepted, RejectConnection):
            raise AssertionError(f"the websocket was refused with {accepted.status_code}")
        assert isinstance(accepted, AcceptConnection), accepted
        replies = []
        for text in texts:
            connection.send(Message(data=text))
            parts = []
            while True:
                event = connection.next_event()
                assert isinstance(event, TextMessage), event
                parts.append(event.data)
                if event.message_finished:
                    break
            replies.append("".join(parts))
        connection.send(CloseConnection(code=1000))
        assert isinstance(connection.next_event(), CloseConnection)
        return replies


def websocket_refusal(port: int, path: str) -> int:
    """Connect to ws://127.0.0.1:``port````path``, which must refuse it: the HTTP status."""
    with socket.create_connection(("127.0.0.1", port), timeout=5.0) as sock:
        connection = Connection(sock)
        connection.send(Request(host=f"127.0.0.1:{port}", target=path))
        refused = connection.next_event()
        assert isinstance(refused, RejectConnection), refused
        return refused.status_code
