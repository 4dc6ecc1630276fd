"""A TCP proxy in front of the database that can cut it off, for benchmarks/load_faults.py.

benchmarks/load_faults.py starts it in a process of its own, so that the bytes of every
query do not pass through the load generator's event loop:

    python -m benchmarks.db_cut LISTEN_PORT TARGET_HOST TARGET_PORT

SIGUSR1 cuts the database off: every connection through the proxy is reset and nothing
listens on LISTEN_PORT any more, so a new connection is refused. SIGUSR2 opens it again.
SIGTERM stops the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

CHUNK = 65536


class CuttableProxy:
    """Forwards TCP connections from a local port to a target, until cut."""

    def __init__(self, port: int, target_host: str, target_port: int) -> None:
        self.port = port
        self.target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.BaseTransport] = set()

    async def open(self) -> None:
        """Listen on the port (again)."""
        if self._server is None:
            self._server = await asyncio.start_server(
                self._connect, "127.0.0.1", self.port, reuse_address=True
            )

    def cut(self) -> None:
        """Stop listening and reset every connection: the database is gone, for everyone."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()  # a reset, as when a database server or its network dies
        self._transports.clear()

    async def _connect(self, client: asyncio.StreamReader, to_client: asyncio.StreamWriter) -> None:
        try:
            server, to_server = await asyncio.open_connection(*self.target)
        except OSError:
            to_client.transport.abort()
            return
        pair = (to_client.transport, to_server.transport)
        self._transports.update(pair)
        try:
            await asyncio.gather(_copy(client, to_server), _copy(server, to_client))
        finally:
            for transport in pair:
                self._transports.discard(transport)
                transport.abort()


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy bytes until either side goes away."""
    with contextlib.suppress(ConnectionError, OSError):
        while chunk := await source.read(CHUNK):
            sink.write(chunk)
            await sink.drain()
    sink.transport.abort()


async def serve(port: int, target_host: str, target_port: int) -> None:
    """Run the proxy until SIGTERM; SIGUSR1 cuts, SIGUSR2 opens again."""
    proxy = CuttableProxy(port, target_host, target_port)
    await proxy.open()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGUSR1, proxy.cut)
    loop.add_signal_handler(signal.SIGUSR2, lambda: loop.create_task(proxy.open()))
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    proxy.cut()
    await asyncio.sleep(0.1)  # the connections' handlers see their end and return


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until stopped."""
    port, target_host, target_port = sys.argv[1:] if argv is None else argv
    asyncio.run(serve(int(port), target_host, int(target_port)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
