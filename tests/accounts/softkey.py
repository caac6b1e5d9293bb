"""A passkey held in software, answering the site's challenges as a phone would (WebAuthn level 2, "none"
attestation, ES256), so that the server's checks run on real signatures without a browser.

The browser tests (tests/e2e/test_passkeys.py) drive Chromium's own virtual authenticator instead.
"""

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

ORIGIN = "http://testserver"
RP_ID = "testserver"
UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftKey:
    """One credential: its id, its private key, the person's handle and how many times it has signed."""

    user_handle: bytes = b""
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    sign_count: int = 0
    verifies_user: bool = True

    def _flags(self, extra: int = 0) -> int:
        return UP | (UV if self.verifies_user else 0) | extra

    def _cose_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    @staticmethod
    def _client_data(kind: str, options: dict, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": options["challenge"], "origin": origin, "crossOrigin": False}
        ).encode()

    def register(self, options: dict, *, origin: str = ORIGIN, rp_id: str = RP_ID) -> str:
        """The browser's answer to registration options, as the JSON the page posts."""
        self.user_handle = unb64url(options["user"]["id"])
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([self._flags(AT)]) + struct.pack(">I", 0)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data + attested})
        client_data = self._client_data("webauthn.create", options, origin)
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation),
                    "transports": ["internal", "hybrid"],
                },
                "clientExtensionResults": {},
            }
        )

    def sign(self, options: dict, *, origin: str = ORIGIN, rp_id: str = RP_ID) -> str:
        """The browser's answer to sign-in options, signed with this key."""
        self.sign_count += 1
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest() + bytes([self._flags()]) + struct.pack(">I", self.sign_count)
        )
        client_data = self._client_data("webauthn.get", options, origin)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(self.user_handle),
                },
                "clientExtensionResults": {},
            }
        )
