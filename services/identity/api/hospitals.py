"""HospitalService: hospitals, their signing keys and their own SOAP endpoints.

A key rotation may keep the previous key verifying beside the new one for an overlap
(as the request says; `ncms hospital rotate-key` asks for 72 hours unless told
otherwise), so that a hospital's calls go on while its HIS is given the new key; the
overlap ends at its time, or earlier by EndKeyOverlap. During the overlap the NCMS still signs its own calls
to the hospital (SignDigest) with the previous key, which the hospital holds for sure.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

from legacy import digest
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import ROLE_ADMIN, ROLE_GATEWAY, ROLE_INTERNAL, STAFF_ROLES, current_principal
from runtime.clock import utcnow
from runtime.errors import already_exists, failed_precondition, invalid_argument

from .. import repository
from ..keys import new_signing_key
from .shared import (
    ALGORITHM_ENUMS,
    ALGORITHM_NAMES,
    NAME,
    Identity,
    admin,
    hospital,
    hospital_message,
    in_key_overlap,
)

# A key issued by the NCMS is 43 characters; anything much shorter is a mistake.
MIN_IMPORTED_KEY_LENGTH = 16
HOSPITAL_CODE = re.compile(r"^[0-9A-Za-z]{1,32}$")
MAX_OVERLAP = timedelta(days=90)


class HospitalServicer(identity_pb2_grpc.HospitalServiceServicer):
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def CreateHospital(self, request, context):
        principal = admin()
        vault = self.identity.vault
        code = request.code.strip()
        if not HOSPITAL_CODE.match(code):
            raise invalid_argument("code", "1-32 letters or digits")
        name = request.name.strip()
        if not name:
            raise invalid_argument("name", "must not be empty")
        if not 1 <= request.level <= 5:
            raise invalid_argument("level", "must be 1 (村卫生室) to 5 (省级及市外)")
        algorithm = ALGORITHM_NAMES.get(request.digest_algorithm or identity_pb2.DIGEST_ALGORITHM_HMAC_SHA256)
        if algorithm is None:
            raise invalid_argument("digest_algorithm", "HMAC-SHA256 or HMAC-SM3")
        endpoint = check_endpoint(request.endpoint)
        endpoint_user = check_endpoint_user(endpoint, request.endpoint_user, request.endpoint_password)
        signing_key = issued_key(request.signing_key)
        with self.identity.changing() as connection:
            if repository.hospital_by_code(connection, code) is not None:
                raise already_exists(f"hospital {code}")
            row = repository.add_hospital(connection, {
                "code": code, "name": name, "level": request.level, "digest_algorithm": algorithm,
                "endpoint": endpoint, "key_version": 1, "key_ciphertext": vault.encrypt(signing_key, code, 1),
                "endpoint_user": endpoint_user,
                "endpoint_password_ciphertext": (vault.encrypt_endpoint_password(request.endpoint_password, code)
                                                 if endpoint_user else None)})
            message = hospital_message(row)
        self.identity.audit_admin(principal, "CreateHospital", hospital_code=code,
                                  detail=f"level {request.level}, {algorithm}")
        return identity_pb2.CreateHospitalResponse(hospital=message, signing_key=signing_key)

    def RotateHospitalKey(self, request, context):
        principal = admin()
        signing_key = issued_key(request.signing_key)
        if not 0 <= request.overlap_seconds <= MAX_OVERLAP.total_seconds():
            raise invalid_argument("overlap_seconds", f"0 to {MAX_OVERLAP.days} days")
        overlap = timedelta(seconds=request.overlap_seconds)
        now = utcnow()
        with self.identity.changing() as connection:
            found = hospital(connection, request.code.strip(), for_update=True)
            version = found.key_version + 1
            previous = ({"previous_key_ciphertext": found.key_ciphertext, "previous_key_version": found.key_version,
                         "previous_key_expires_at": now + overlap} if overlap else
                        {"previous_key_ciphertext": None, "previous_key_version": None,
                         "previous_key_expires_at": None})
            row = repository.update_hospital(
                connection, found.id, key_version=version, key_rotated_at=now,
                key_ciphertext=self.identity.vault.encrypt(signing_key, found.code, version), **previous)
            message = hospital_message(row)
        detail = f"key version {message.key_version}" + (
            f"; version {found.key_version} verifies too until {row.previous_key_expires_at.isoformat()}"
            if overlap else "; the previous key stopped at once")
        self.identity.audit_admin(principal, "RotateHospitalKey", hospital_code=message.code, detail=detail)
        return identity_pb2.RotateHospitalKeyResponse(hospital=message, signing_key=signing_key)

    def EndKeyOverlap(self, request, context):
        principal = admin()
        with self.identity.changing() as connection:
            found = hospital(connection, request.code.strip(), for_update=True)
            ended = in_key_overlap(found)
            row = found
            if found.previous_key_ciphertext is not None:
                row = repository.update_hospital(connection, found.id, previous_key_ciphertext=None,
                                                 previous_key_version=None, previous_key_expires_at=None)
            message = hospital_message(row)
        if ended:
            self.identity.audit_admin(principal, "EndKeyOverlap", hospital_code=message.code,
                                      detail=f"only key version {message.key_version} verifies now")
        return identity_pb2.EndKeyOverlapResponse(hospital=message, ended=ended)

    def DisableHospital(self, request, context):
        principal = admin()
        reason = " ".join(request.reason.split())[:200]
        with self.identity.changing() as connection:
            found = hospital(connection, request.code.strip(), for_update=True)
            if found.disabled_at is not None:
                raise failed_precondition("ALREADY_DISABLED", f"hospital {found.code} is already disabled")
            row = repository.update_hospital(connection, found.id, disabled_at=utcnow(), disabled_reason=reason)
            message = hospital_message(row)
        self.identity.audit_admin(principal, "DisableHospital", hospital_code=message.code, detail=reason)
        return identity_pb2.DisableHospitalResponse(hospital=message)

    def EnableHospital(self, request, context):
        principal = admin()
        with self.identity.changing() as connection:
            found = hospital(connection, request.code.strip(), for_update=True)
            if found.disabled_at is None:
                raise failed_precondition("NOT_DISABLED", f"hospital {found.code} is not disabled")
            row = repository.update_hospital(connection, found.id, disabled_at=None, disabled_reason="")
            message = hospital_message(row)
        self.identity.audit_admin(principal, "EnableHospital", hospital_code=message.code,
                                  detail=f"was disabled: {found.disabled_reason}" if found.disabled_reason else "")
        return identity_pb2.EnableHospitalResponse(hospital=message)

    def SetMessageHeaderRequired(self, request, context):
        principal = admin()
        with self.identity.changing() as connection:
            found = hospital(connection, request.code.strip(), for_update=True)
            row = repository.update_hospital(connection, found.id, message_header_required=request.required)
            message = hospital_message(row)
        self.identity.audit_admin(principal, "SetMessageHeaderRequired", hospital_code=message.code,
                                  detail=f"required: {'yes' if request.required else 'no'} "
                                         f"(was {'yes' if found.message_header_required else 'no'})")
        return identity_pb2.SetMessageHeaderRequiredResponse(hospital=message)

    def ListHospitals(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, ROLE_INTERNAL, ROLE_GATEWAY, *STAFF_ROLES)  # staff: the console
        with self.identity.db.read() as connection:
            found = [hospital_message(h) for h in repository.hospitals(connection)
                     if not principal.hospital_code or h.code == principal.hospital_code]
        return identity_pb2.ListHospitalsResponse(hospitals=found)

    def GetHospital(self, request, context):
        code = current_principal().hospital_for(request.code.strip())
        with self.identity.db.read() as connection:
            return identity_pb2.GetHospitalResponse(hospital=hospital_message(hospital(connection, code)))

    def SetHospitalEndpoint(self, request, context):
        principal = admin()
        endpoint = check_endpoint(request.endpoint)
        user, password = request.user.strip(), request.password
        if endpoint and not check_endpoint_user(endpoint, user, password):
            raise invalid_argument("user", "the hospital's user and password the NCMS calls as")
        with self.identity.changing() as connection:
            found = hospital(connection, request.code.strip(), for_update=True)
            row = repository.update_hospital(
                connection, found.id, endpoint=endpoint, endpoint_user=user if endpoint else "",
                endpoint_password_ciphertext=(self.identity.vault.encrypt_endpoint_password(password, found.code)
                                              if endpoint else None))
            message = hospital_message(row)
        self.identity.audit_admin(principal, "SetHospitalEndpoint", hospital_code=message.code,
                                  detail=f"{endpoint} as {user}" if endpoint else "removed")
        return identity_pb2.SetHospitalEndpointResponse(hospital=message)

    def GetHospitalEndpoint(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, ROLE_INTERNAL)
        code = principal.hospital_for(request.code.strip())
        with self.identity.db.read() as connection:
            found = hospital(connection, code)
        if not found.endpoint or found.endpoint_password_ciphertext is None:
            raise failed_precondition(
                "NO_ENDPOINT", f"hospital {code} has no endpoint; set one with "
                               f"`ncms hospital endpoint --code {code} --url URL --user USER`")
        password = self.identity.vault.decrypt_endpoint_password(bytes(found.endpoint_password_ciphertext), code)
        response = identity_pb2.GetHospitalEndpointResponse(
            endpoint=found.endpoint, user=found.endpoint_user, password=password,
            digest_algorithm=ALGORITHM_ENUMS[found.digest_algorithm])
        # Who took the NCMS's credentials at a hospital (each in-patient query does).
        self.identity.audit_admin(principal, "GetHospitalEndpoint", hospital_code=code)
        return response

    def SignDigest(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, ROLE_INTERNAL)
        code = principal.hospital_for(request.hospital_code.strip())
        with self.identity.db.read() as connection:
            found = hospital(connection, code)
        if in_key_overlap(found):  # the key the hospital surely holds
            key = self.identity.signing_key(found.id, found.code, found.previous_key_version,
                                            bytes(found.previous_key_ciphertext))
        else:
            key = self.identity.hospital_key(found)
        return identity_pb2.SignDigestResponse(
            digest=digest.compute(key, found.digest_algorithm, request.digest_message),
            digest_algorithm=ALGORITHM_ENUMS[found.digest_algorithm])


def issued_key(text: str) -> str:
    """The signing key to install: one issued elsewhere, or a new one."""
    if not text:
        return new_signing_key()
    if len(text) < MIN_IMPORTED_KEY_LENGTH or text != text.strip() or any(c.isspace() for c in text):
        raise invalid_argument("signing_key", f"at least {MIN_IMPORTED_KEY_LENGTH} characters, without "
                                              "spaces or line breaks (the key as its NCMS issued it)")
    return text


def check_endpoint_user(endpoint: str, user: str, password: str) -> str:
    """The user the NCMS calls ``endpoint`` as ("" when none is given)."""
    user = user.strip()
    if not user and not password:
        return ""
    if not endpoint:
        raise invalid_argument("endpoint_user", "only together with an endpoint")
    if not NAME.match(user) or not password:
        raise invalid_argument("endpoint_user", "the hospital's user and its password, both")
    return user


def check_endpoint(text: str) -> str:
    endpoint = text.strip()
    if not endpoint:
        return ""
    parsed = urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid_argument("endpoint", "an http:// or https:// URL of the hospital's SOAP service")
    return endpoint
