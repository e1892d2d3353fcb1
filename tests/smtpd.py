"""An SMTP server for the tests, on 127.0.0.1 (python3-aiosmtpd).

    smtpd.py DIR PORTFILE [accept|reject|tempfail|silent|dropdata]
             [USER PASSWORD]

Listens on a free port, written to PORTFILE once it listens.  Each message
is saved in DIR as N.eml: "X-Mail-Args: <from>" and "X-Rcpt-Args: <to>"
lines (as postfix's smtp-sink writes them), then the message as received.
DIR/log gets one line per EHLO ("ehlo NAME"), AUTH ("auth MECH ok|bad")
and refusal.  reject answers RCPT with 550 (accept too, for a recipient
starting with "refuse"), tempfail with 450; silent
accepts connections and never says a word; dropdata takes the envelope
and DATA, then drops the connection after the first line of the message
(logging "dropped").  With a
USER, AUTH (PLAIN or LOGIN) is required and checked.  With CRM_TEST_TLS set
to starttls (offered on request) or smtps (TLS from the start), the
certificate and key are CRM_TEST_CERT and CRM_TEST_KEY; each message logs
"data tls" or "data plain".  Stopped by SIGTERM.
"""
import asyncio
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, directory, mode):
        self.dir = directory
        self.mode = mode
        self.n = 0

    def log(self, line):
        with open(os.path.join(self.dir, "log"), "a") as f:
            f.write(line + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        self.log("ehlo " + hostname)
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if self.mode == "reject" or address.startswith("refuse"):
            self.log("reject " + address)
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        if self.mode == "tempfail":
            self.log("tempfail " + address)
            return "450 4.2.0 <%s>: Mailbox busy, try later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.log("data " + ("tls" if tls else "plain"))
        path = os.path.join(self.dir, "%d.eml" % self.n)
        head = "X-Mail-Args: <%s>\r\n" % envelope.mail_from
        for r in envelope.rcpt_tos:
            head += "X-Rcpt-Args: <%s>\r\n" % r
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 Ok: queued as %d" % self.n


class DropData(asyncio.Protocol):
    """Just enough SMTP to reach DATA, then the line goes dead."""

    def __init__(self, handler):
        self.handler = handler
        self.data = False

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 smtpd.test ESMTP\r\n")

    def data_received(self, chunk):
        for line in chunk.split(b"\r\n"):
            if not line:
                continue
            if self.data:
                self.handler.log("dropped")
                self.transport.abort()
                return
            verb = line.split(b" ")[0].upper()
            if verb in (b"EHLO", b"HELO"):
                self.transport.write(b"250 smtpd.test\r\n")
            elif verb == b"DATA":
                self.data = True
                self.transport.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.transport.write(b"221 bye\r\n")
                self.transport.close()
            else:
                self.transport.write(b"250 ok\r\n")


def main():
    directory, portfile = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "accept"
    user = sys.argv[4] if len(sys.argv) > 4 else None
    password = sys.argv[5] if len(sys.argv) > 5 else None
    handler = Handler(directory, mode)

    def authenticator(server, session, envelope, mechanism, data):
        good = (isinstance(data, LoginPassword) and
                data.login.decode() == user and
                data.password.decode() == password)
        handler.log("auth %s %s" % (mechanism, "ok" if good else "bad"))
        return AuthResult(success=good, handled=False)

    tls = os.environ.get("CRM_TEST_TLS")
    ctx = None
    if tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(os.environ["CRM_TEST_CERT"],
                            os.environ["CRM_TEST_KEY"])

    def factory():
        kw = {}
        if user is not None:
            kw = dict(authenticator=authenticator, auth_required=True,
                      auth_require_tls=tls == "starttls")
        if tls == "starttls":
            kw["tls_context"] = ctx
        return SMTP(handler, hostname="smtpd.test", **kw)

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(asyncio.Protocol if mode == "silent" else
                           (lambda: DropData(handler)) if
                           mode == "dropdata" else factory,
                           "127.0.0.1", 0,
                           ssl=ctx if tls == "smtps" else None))
    port = server.sockets[0].getsockname()[1]
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(portfile + ".tmp", portfile)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.run_forever()


main()
