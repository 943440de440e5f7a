"""Readiness probes for the local stack, stdlib only.

A fresh machine has neither curl nor the Kafka/Mongo client libraries, so each
probe speaks just enough of the server's protocol to prove it serves requests,
not merely that its port accepts connections.

Usage: probe.py tcp|kafka|mongo|opensearch HOST PORT [TIMEOUT_S]
Exit status 0 when the server answered as a ready server would.

The Kafka probe logs in first when RT_PROBE_SASL_USERNAME is set (with
RT_PROBE_SASL_PASSWORD and RT_PROBE_SASL_MECHANISM, SCRAM-SHA-512 or -256): the
environment, not argv, so the password is not on a command line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import urllib.request


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        buf += chunk
    return bytes(buf)


def probe_tcp(host: str, port: int, timeout: float) -> bool:
    with socket.create_connection((host, port), timeout=timeout):
        return True


# --- Kafka -----------------------------------------------------------------


def _kafka_call(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> bytes:
    client_id = b"rt-probe"
    header = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    resp = _recv_exact(sock, size)
    (got_corr,) = struct.unpack(">i", resp[:4])
    if got_corr != corr:
        raise ConnectionError("kafka: correlation id mismatch")
    return resp[4:]


SCRAM_HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}


def _sasl_authenticate(sock: socket.socket, corr: int, token: bytes) -> bytes:
    """One SaslAuthenticate v1 round trip; returns the server's SCRAM message."""
    resp = _kafka_call(sock, 36, 1, corr, struct.pack(">i", len(token)) + token)
    error, mlen = struct.unpack(">hh", resp[:4])
    pos = 4 + max(mlen, 0)
    if error != 0:
        message = resp[4:pos].decode(errors="replace")
        raise ConnectionError(f"kafka: authentication failed ({error}): {message}")
    (blen,) = struct.unpack(">i", resp[pos : pos + 4])
    return resp[pos + 4 : pos + 4 + blen]


def _scram_login(sock: socket.socket, mechanism: str, username: str, password: str) -> None:
    """SaslHandshake v1, then the SCRAM exchange of RFC 5802 (no channel binding)."""
    hash_name = SCRAM_HASHES[mechanism]
    mech = mechanism.encode()
    resp = _kafka_call(sock, 17, 1, 10, struct.pack(">h", len(mech)) + mech)
    (error,) = struct.unpack(">h", resp[:2])
    if error != 0:
        raise ConnectionError(f"kafka: the broker does not offer {mechanism}")
    nonce = base64.b64encode(os.urandom(18)).decode()
    user = username.replace("=", "=3D").replace(",", "=2C")
    first_bare = f"n={user},r={nonce}"
    server_first = _sasl_authenticate(sock, 11, f"n,,{first_bare}".encode()).decode()
    attrs = dict(item.split("=", 1) for item in server_first.split(","))
    if not attrs["r"].startswith(nonce):
        raise ConnectionError("kafka: the server's SCRAM nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac(
        hash_name, password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"])
    )
    client_key = hmac.new(salted, b"Client Key", hash_name).digest()
    stored_key = hashlib.new(hash_name, client_key).digest()
    final_bare = f"c=biws,r={attrs['r']}"
    auth_message = f"{first_bare},{server_first},{final_bare}".encode()
    signature = hmac.new(stored_key, auth_message, hash_name).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True)))
    server_final = _sasl_authenticate(sock, 12, f"{final_bare},p={proof.decode()}".encode())
    server_key = hmac.new(salted, b"Server Key", hash_name).digest()
    expected = base64.b64encode(hmac.new(server_key, auth_message, hash_name).digest())
    if server_final != b"v=" + expected:
        raise ConnectionError("kafka: the server's SCRAM signature does not match")


def probe_kafka(host: str, port: int, timeout: float) -> bool:
    """Ready = Metadata lists at least one broker and a controller.

    Metadata v1..v8 share the non-flexible layout parsed here; ApiVersions v0
    tells which of them this broker still accepts. A SASL listener answers
    ApiVersions before the login and everything else only after it.
    """
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        resp = _kafka_call(sock, 18, 0, 1, b"")
        error, count = struct.unpack(">hi", resp[:6])
        if error != 0:
            return False
        username = os.environ.get("RT_PROBE_SASL_USERNAME")
        if username:
            _scram_login(
                sock,
                os.environ.get("RT_PROBE_SASL_MECHANISM", "SCRAM-SHA-512"),
                username,
                os.environ.get("RT_PROBE_SASL_PASSWORD", ""),
            )
        meta_range = None
        for i in range(count):
            key, lo, hi = struct.unpack(">hhh", resp[6 + 6 * i : 12 + 6 * i])
            if key == 3:
                meta_range = (lo, hi)
        if meta_range is None:
            return False
        version = min(meta_range[1], 8)
        if version < max(meta_range[0], 1):
            return False
        body = struct.pack(">i", -1)  # null topic list: all topics
        if version >= 4:
            body += b"\x00"  # allow_auto_topic_creation = false
        if version >= 8:
            body += b"\x00\x00"  # include cluster/topic authorized operations
        resp = _kafka_call(sock, 3, version, 2, body)
        pos = 4 if version >= 3 else 0  # throttle_time_ms
        (n_brokers,) = struct.unpack(">i", resp[pos : pos + 4])
        pos += 4
        for _ in range(n_brokers):
            pos += 4  # node_id
            (hlen,) = struct.unpack(">h", resp[pos : pos + 2])
            pos += 2 + hlen + 4  # host, port
            (rlen,) = struct.unpack(">h", resp[pos : pos + 2])
            pos += 2 + max(rlen, 0)  # rack (nullable)
        if version >= 2:
            (clen,) = struct.unpack(">h", resp[pos : pos + 2])
            pos += 2 + max(clen, 0)
        (controller,) = struct.unpack(">i", resp[pos : pos + 4])
        return n_brokers > 0 and controller >= 0


# --- MongoDB wire protocol (FerretDB) --------------------------------------


def _bson_ping() -> bytes:
    def cstr(s: str) -> bytes:
        return s.encode() + b"\x00"

    elems = b"\x10" + cstr("ping") + struct.pack("<i", 1)
    db = cstr("admin")
    elems += b"\x02" + cstr("$db") + struct.pack("<i", len(db)) + db
    return struct.pack("<i", len(elems) + 5) + elems + b"\x00"


def _bson_ok(doc: bytes) -> bool:
    pos = 4
    while pos < len(doc) - 1:
        etype = doc[pos]
        end = doc.index(b"\x00", pos + 1)
        name = doc[pos + 1 : end].decode()
        pos = end + 1
        if etype == 0x01:  # double
            val = struct.unpack("<d", doc[pos : pos + 8])[0]
            if name == "ok":
                return val == 1.0
            pos += 8
        elif etype in (0x10,):  # int32
            if name == "ok":
                return struct.unpack("<i", doc[pos : pos + 4])[0] == 1
            pos += 4
        elif etype in (0x12, 0x09, 0x11):  # int64, datetime, timestamp
            pos += 8
        elif etype == 0x08:  # bool
            if name == "ok":
                return doc[pos] == 1
            pos += 1
        elif etype in (0x02, 0x0D, 0x0E):  # string-like
            (slen,) = struct.unpack("<i", doc[pos : pos + 4])
            pos += 4 + slen
        elif etype in (0x03, 0x04):  # document, array
            (dlen,) = struct.unpack("<i", doc[pos : pos + 4])
            pos += dlen
        elif etype == 0x0A:  # null
            pass
        else:
            return False
    return False


def probe_mongo(host: str, port: int, timeout: float) -> bool:
    doc = _bson_ping()
    body = struct.pack("<I", 0) + b"\x00" + doc  # flagBits, section kind 0
    header = struct.pack("<iiii", 16 + len(body), 1, 0, 2013)  # OP_MSG
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(header + body)
        (size,) = struct.unpack("<i", _recv_exact(sock, 4))
        resp = _recv_exact(sock, size - 4)
        _req, _resp_to, opcode = struct.unpack("<iii", resp[:12])
        if opcode != 2013 or resp[16] != 0:
            return False
        return _bson_ok(resp[17:])


# --- OpenSearch --------------------------------------------------------------


def probe_opensearch(host: str, port: int, timeout: float) -> bool:
    url = f"http://{host}:{port}/_cluster/health"
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        status = json.load(resp).get("status")
    return status in ("green", "yellow")


PROBES = {
    "tcp": probe_tcp,
    "kafka": probe_kafka,
    "mongo": probe_mongo,
    "opensearch": probe_opensearch,
}


def main(argv: list[str]) -> int:
    if len(argv) not in (4, 5) or argv[1] not in PROBES:
        print(__doc__, file=sys.stderr)
        return 2
    timeout = float(argv[4]) if len(argv) == 5 else 2.0
    try:
        return 0 if PROBES[argv[1]](argv[2], int(argv[3]), timeout) else 1
    except (OSError, ValueError, KeyError, struct.error, IndexError) as exc:
        if os.environ.get("RT_PROBE_VERBOSE"):
            print(f"{argv[1]} probe: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
