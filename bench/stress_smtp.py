"""A small SMTP server for the stress test, on 127.0.0.1 only, that can be told to refuse mail for a while.

While refusing it answers MAIL FROM with a temporary failure (451), as a mail server that is overloaded or
being restarted does; otherwise it accepts every message and keeps its subject and recipients in memory.
It speaks just enough SMTP for Python's smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP and QUIT.
"""

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy


@dataclass
class Received:
    at: float
    subject: str
    recipients: list[str]


@dataclass
class SmtpSink:
    host: str = "127.0.0.1"
    port: int = 0
    refusing: bool = False
    refused: int = 0
    received: list[Received] = field(default_factory=list)

    def start(self) -> None:
        """Serve in a background thread; returns once the port is known."""
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve():
            self._server = await asyncio.start_server(self._session, self.host, self.port)
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            async with self._server:
                await self._server.serve_forever()

        def run():
            asyncio.set_event_loop(self._loop)
            with contextlib.suppress(asyncio.CancelledError):  # stopped
                self._loop.run_until_complete(serve())

        self._thread = threading.Thread(target=run, name="smtp-sink", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("The SMTP sink did not start.")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)
        for task in asyncio.all_tasks(self._loop):
            self._loop.call_soon_threadsafe(task.cancel)
        self._thread.join(5)

    def messages(self, subject_part: str) -> list[Received]:
        return [message for message in list(self.received) if subject_part in message.subject]

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        reply("220 localhost stress-test SMTP")
        recipients: list[str] = []
        try:
            while line := await reader.readline():
                command = line.decode(errors="replace").strip()
                verb = command[:4].upper()
                if verb == "EHLO":
                    reply("250-localhost")
                    reply("250 8BITMIME")
                elif verb == "HELO":
                    reply("250 localhost")
                elif verb == "MAIL":
                    if self.refusing:
                        self.refused += 1
                        reply("451 4.3.2 Not accepting mail just now, try again later")
                    else:
                        recipients = []
                        reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.partition(":")[2].strip().strip("<>"))
                    reply("250 OK")
                elif verb == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    await writer.drain()
                    self._keep(await self._data(reader), recipients)
                    reply("250 OK: queued")
                elif verb == "RSET":
                    recipients = []
                    reply("250 OK")
                elif verb == "NOOP":
                    reply("250 OK")
                elif verb == "QUIT":
                    reply("221 Bye")
                    await writer.drain()
                    break
                else:
                    reply("502 Command not implemented")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _data(reader: asyncio.StreamReader) -> bytes:
        lines = []
        while (line := await reader.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)

    def _keep(self, data: bytes, recipients: list[str]) -> None:
        message = message_from_bytes(data, policy=policy.default)
        self.received.append(Received(time.monotonic(), str(message.get("Subject", "")), list(recipients)))
