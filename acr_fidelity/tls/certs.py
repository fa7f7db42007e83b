"""The emulator's self-signed certificate, made once with `cryptography` and kept on disk; or the user's own.

Beside it a facts file keeps the names it covers and its expiry, under the digest of its bytes: a start reads those
instead of parsing the certificate, since cryptography's x509 module alone is 40 ms of a 250 ms start.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import ipaddress
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

CERT_NAME = "emulator-cert.pem"
KEY_NAME = "emulator-key.pem"
FACTS_NAME = "emulator-cert.json"


@dataclass(frozen=True)
class CertificatePair:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert, self.key)
        return context

    def pem(self) -> bytes:
        return self.cert.read_bytes()


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    from cryptography import x509

    entries: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):  # keep order, drop repeats
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _read(pem: bytes) -> tuple[list[str], datetime.datetime]:
    """The DNS names and IP addresses a certificate covers, and when it expires."""
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(pem)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], cert.not_valid_after_utc
    have = [str(v) for v in san.get_values_for_type(x509.DNSName)]
    have += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    return have, cert.not_valid_after_utc


def _facts(cert_path: Path) -> tuple[list[str], datetime.datetime]:
    """`_read` of the certificate, from the facts file while it describes these very bytes."""
    pem = cert_path.read_bytes()
    try:
        facts = json.loads(cert_path.with_name(FACTS_NAME).read_text())
        if facts["sha256"] == hashlib.sha256(pem).hexdigest():
            return list(facts["names"]), datetime.datetime.fromisoformat(facts["notAfter"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing, unreadable or of other bytes: read the certificate itself
    names, not_after = _read(pem)
    _keep_facts(cert_path, pem, names, not_after)
    return names, not_after


def _keep_facts(cert_path: Path, pem: bytes, names: list[str], not_after: datetime.datetime) -> None:
    facts = {"sha256": hashlib.sha256(pem).hexdigest(), "names": names, "notAfter": not_after.isoformat()}
    with contextlib.suppress(OSError):  # a read-only directory: the certificate is read at every start instead
        cert_path.with_name(FACTS_NAME).write_text(json.dumps(facts))


def _covers(cert_path: Path, names: list[str]) -> bool:
    have, not_after = _facts(cert_path)
    return set(names) <= set(have) and not_after > datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)


def ensure_certificate(directory: Path, hostnames: list[str]) -> CertificatePair:
    """The certificate in `directory`, made (or remade, when it lacks a name or is about to expire) as needed.

    It is its own CA (basicConstraints CA:TRUE), so a bundle holding it lets clients verify it like any server's.
    """
    names = ["localhost", "127.0.0.1", *hostnames]
    pair = CertificatePair(directory / CERT_NAME, directory / KEY_NAME)
    if pair.cert.exists() and pair.key.exists() and _covers(pair.cert, names):
        return pair
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "acr-fidelity emulator"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "acr-fidelity")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=True,
                                     content_commitment=False, data_encipherment=False, key_agreement=False,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_san(names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pair.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    pair.key.chmod(0o600)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    pair.cert.write_bytes(pem)
    _keep_facts(pair.cert, pem, list(dict.fromkeys(names)), cert.not_valid_after_utc)
    return pair


def trust_bundle(pair: CertificatePair, out: Path) -> Path:
    """The system's CA bundle plus the emulator's certificate: what REQUESTS_CA_BUNDLE should name."""
    system = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
    parts = [system.read_bytes() if system.exists() else b"", pair.pem()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"\n".join(p.rstrip(b"\n") for p in parts if p) + b"\n")
    return out
