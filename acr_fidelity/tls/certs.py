"""The emulator's self-signed certificate, made once with `cryptography` and kept on disk; or the user's own."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_NAME = "emulator-cert.pem"
KEY_NAME = "emulator-key.pem"


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
    entries: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):  # keep order, drop repeats
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def _covers(cert_path: Path, names: list[str]) -> bool:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    have = {str(v) for v in san.get_values_for_type(x509.DNSName)}
    have |= {str(v) for v in san.get_values_for_type(x509.IPAddress)}
    not_after = cert.not_valid_after_utc
    return set(names) <= have and not_after > datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)


def ensure_certificate(directory: Path, hostnames: list[str]) -> CertificatePair:
    """The certificate in `directory`, made (or remade, when it lacks a name or is about to expire) as needed.

    It is its own CA (basicConstraints CA:TRUE), so a bundle holding it lets clients verify it like any server's.
    """
    names = ["localhost", "127.0.0.1", *hostnames]
    pair = CertificatePair(directory / CERT_NAME, directory / KEY_NAME)
    if pair.cert.exists() and pair.key.exists() and _covers(pair.cert, names):
        return pair
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
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pair


def trust_bundle(pair: CertificatePair, out: Path) -> Path:
    """The system's CA bundle plus the emulator's certificate: what REQUESTS_CA_BUNDLE should name."""
    system = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
    parts = [system.read_bytes() if system.exists() else b"", pair.pem()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"\n".join(p.rstrip(b"\n") for p in parts if p) + b"\n")
    return out
