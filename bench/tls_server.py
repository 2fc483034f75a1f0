#!/usr/bin/env python3
"""Local TLS endpoints for the certs benchmark.

Usage: tls_server.py CERT KEY ANSWERING SILENT PORTFILE

Listens on ANSWERING ports that complete TLS handshakes with CERT/KEY and on
SILENT ports that accept TCP connections and never say anything; writes
"PORT answering|silent" lines to PORTFILE once all listen. Stops by itself
after 10 minutes.
"""
import asyncio
import socket
import ssl
import sys


async def main():
    cert, key, answering, silent, portfile = sys.argv[1:6]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    held = []

    async def answer(reader, writer):
        try:
            await asyncio.wait_for(reader.read(1), 10)
        except Exception:
            pass
        writer.close()

    async def hold(reader, writer):
        held.append(writer)

    lines = []
    for _ in range(int(answering)):
        server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context, backlog=256)
        lines.append(f"{server.sockets[0].getsockname()[1]} answering")
    for _ in range(int(silent)):
        server = await asyncio.start_server(hold, "127.0.0.1", 0, backlog=256)
        lines.append(f"{server.sockets[0].getsockname()[1]} silent")
    with open(portfile + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    import os
    os.rename(portfile + ".tmp", portfile)
    await asyncio.sleep(600)


asyncio.run(main())
