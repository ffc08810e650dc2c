"""Trusted access programs: GetTrustedAccessProgram, ListTrustedAccessPrograms, the stored enrollment at
each scope (Get/PutTrustedAccessProgram{Account,Organization,Project}Enrollment) and the provider handoff
(StartTrustedAccessProgram{Account,Organization,Project}Application).

AWS publishes no list of programs, so the emulator offers one sample program (``PROGRAMS``), which every
account is eligible for. Behaviour follows the API reference: a missing enrollment reads ``inherit``
without ``updatedAt``; a program's resolved ``optIn`` is the most specific stored setting that is not
``inherit`` (project, then account, then organization), and its ``status`` is ``enabled`` / ``disabled``
accordingly, else ``eligible``; an unknown program is ResourceNotFoundException; each application call
issues a fresh token valid for an hour.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Final

from emulator.bedrock_control.projects import project
from emulator.control import lifecycle, resources
from emulator.control.accounts import account_id
from emulator.control.request import params
from emulator.control.resources import Kind
from emulator.services.exchange import JsonReply, OperationCall, Reply
from emulator.wire import pagination
from emulator.wire.errors import AwsError

SERVICE: Final = "bedrock"
ENROLLMENT: Final = Kind("bedrock:trusted-access-enrollment", "TrustedAccessProgramEnrollment")
TOKEN_SECONDS: Final = 3600.0
PROGRAMS: Final[dict[str, dict[str, str]]] = {
    "emulator-sample-program": {
        "programId": "emulator-sample-program",
        "name": "bedrock-emulator sample program",
        "description": "A sample trusted access program served by bedrock-emulator; AWS publishes no list of programs.",
        "providerName": "Emulator",
        "detailsUrl": "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetTrustedAccessProgram.html",
        "enrollmentUrl": "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_StartTrustedAccessProgramAccountApplication.html",
    }
}


def _program(identifier: str) -> dict[str, str]:
    program = PROGRAMS.get(identifier.rsplit("/", 1)[-1])
    if program is None:
        raise AwsError("ResourceNotFoundException", f"Trusted access program {identifier} was not found.")
    return program


def _scope_key(call: OperationCall, scope: str, values: dict[str, Any]) -> str:
    program = _program(str(values["programIdentifier"]))["programId"]
    if scope == "project":
        return f"{program}/project/{project(call, str(values['projectIdentifier']))['id']}"
    return f"{program}/{scope}"


def _resolved(call: OperationCall, program: dict[str, str], project_identifier: str | None) -> dict[str, Any]:
    scopes = ["organization", "account"]
    resolved_for: dict[str, Any] = {"accountId": account_id(call.tenant)}
    if project_identifier:
        found = project(call, project_identifier)
        scopes.append(f"project/{found['id']}")
        resolved_for["projectArn"] = found["arn"]
    opt_in, source, updated = "inherit", "program_default", None
    for scope in scopes:
        record = resources.read(call, ENROLLMENT, f"{program['programId']}/{scope}")
        if record is not None and record["optIn"] != "inherit":
            opt_in, source, updated = record["optIn"], scope.split("/")[0], record["updatedAt"]
    status = {"enabled": "enabled", "disabled": "disabled"}.get(opt_in, "eligible")
    summary: dict[str, Any] = {
        **program,
        "status": status,
        "source": source,
        "eligibilityScope": "account",
        "resolvedFor": resolved_for,
        "optIn": opt_in,
    }
    if updated is not None:
        summary["updatedAt"] = updated
    return summary


def get_trusted_access_program(call: OperationCall) -> Reply:
    values = params(call)
    program = _program(str(values["programIdentifier"]))
    return JsonReply(_resolved(call, program, values.get("projectIdentifier")))


def list_trusted_access_programs(call: OperationCall) -> Reply:
    values = params(call)
    summaries = [_resolved(call, program, values.get("projectIdentifier")) for program in PROGRAMS.values()]
    return JsonReply(pagination.page(SERVICE, call.operation, summaries, values))


def _get_enrollment(scope: str) -> Callable[[OperationCall], Reply]:
    def get(call: OperationCall) -> Reply:
        record = resources.read(call, ENROLLMENT, _scope_key(call, scope, params(call)))
        return JsonReply(record if record is not None else {"optIn": "inherit"})

    return get


def _put_enrollment(scope: str) -> Callable[[OperationCall], Reply]:
    def put(call: OperationCall) -> Reply:
        values = params(call)
        record = {"optIn": values["optIn"], "updatedAt": lifecycle.stamp(call)}
        resources.save(call, ENROLLMENT, _scope_key(call, scope, values), record)
        return JsonReply(record)

    return put


def _start_application(scope: str) -> Callable[[OperationCall], Reply]:
    def start(call: OperationCall) -> Reply:
        values = params(call)
        key = _scope_key(call, scope, values)
        program = _program(str(values["programIdentifier"]))
        text = f"{call.seed}|{call.tenant}|{key}|{call.request_id}".encode()
        token = hashlib.blake2b(text, digest_size=24).hexdigest()
        handoff = {
            "enrollmentUrl": program["enrollmentUrl"],
            "applicationToken": token,
            "applicationTokenExpiresAt": lifecycle.iso(lifecycle.now(call) + TOKEN_SECONDS),
        }
        return JsonReply({"result": {"providerHandoff": handoff}}, headers={"Cache-Control": "no-store"})

    return start


HANDLERS = {
    "GetTrustedAccessProgram": get_trusted_access_program,
    "ListTrustedAccessPrograms": list_trusted_access_programs,
    "GetTrustedAccessProgramAccountEnrollment": _get_enrollment("account"),
    "GetTrustedAccessProgramOrganizationEnrollment": _get_enrollment("organization"),
    "GetTrustedAccessProgramProjectEnrollment": _get_enrollment("project"),
    "PutTrustedAccessProgramAccountEnrollment": _put_enrollment("account"),
    "PutTrustedAccessProgramOrganizationEnrollment": _put_enrollment("organization"),
    "PutTrustedAccessProgramProjectEnrollment": _put_enrollment("project"),
    "StartTrustedAccessProgramAccountApplication": _start_application("account"),
    "StartTrustedAccessProgramOrganizationApplication": _start_application("organization"),
    "StartTrustedAccessProgramProjectApplication": _start_application("project"),
}
