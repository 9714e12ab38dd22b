#!/usr/bin/env python3
"""Python `websockets` binary echo server for the Courier peer harness.

Usage: python-websockets-echo.py PORT   (prints "listening PORT" once bound on 127.0.0.1)
Needs `pip install websockets` (13 or later: the asyncio `websockets.asyncio.server` API).
Uses uvloop when it is installed and COURIER_PEERS_UVLOOP=1, the plain asyncio loop otherwise.
"""
import asyncio
import os
import sys

from websockets.asyncio.server import serve


async def echo(connection):
    async for message in connection:
        await connection.send(message)


async def main(port: int) -> None:
    # No compression, no size cap beyond 16 MiB: the same work as the other peers.
    async with serve(echo, "127.0.0.1", port, compression=None, max_size=1 << 24, ping_interval=None) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening {bound}", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python-websockets-echo.py PORT")
    if os.environ.get("COURIER_PEERS_UVLOOP") == "1":
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    try:
        asyncio.run(main(int(sys.argv[1])))
    except KeyboardInterrupt:
        pass
