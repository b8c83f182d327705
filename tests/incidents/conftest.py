import gzip
import io
import zipfile
from datetime import datetime
from email.message import EmailMessage


def iptables_line(when: datetime, src="203.0.113.5", dst="198.51.100.7", dpt=22, spt=51234, prefix="[UFW BLOCK] "):
    stamp = when.strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1) if when.day < 10 else when.strftime("%b %d %H:%M:%S")
    return (
        f"{stamp} gw kernel: [123.456] {prefix}IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
        f"SRC={src} DST={dst} LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID=4242 DF PROTO=TCP SPT={spt} DPT={dpt} "
        "WINDOW=29200 RES=0x00 SYN URGP=0\n"
    )


def gz(text: str) -> bytes:
    return gzip.compress(text.encode())


def zipped(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def mail_message(
    user=None, *, sender=None, to=None, subject="firewall log", body=None, html=None, attachments=(), **headers
) -> bytes:
    """A mail as a submitter's job would send it; header names with _ for - (Auto_Submitted)."""
    msg = EmailMessage()
    msg["From"] = sender or user.email
    msg["To"] = to or (user.submit_address if user else "submit@localhost")
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{id(msg)}@client.example.net>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    if body is not None:
        msg.set_content(body)
    if html is not None:
        if body is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for filename, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=filename)
    return msg.as_bytes()
