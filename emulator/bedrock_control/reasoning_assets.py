"""What an Automated Reasoning build workflow produces, computed deterministically from its input when it
starts: the built policy definition, its build log, quality report, scenarios, generated test cases, the
source documents and the asset manifest (GetAutomatedReasoningPolicyBuildWorkflowResultAssets).

Bedrock turns documents and natural-language feedback into formal logic with a model; the emulator does
not. It applies the structured annotations exactly (add, update or delete a type, variable or rule), and
reads text (a ``txt`` document, an ``ingestContent`` annotation) as statements: one boolean variable per
sentence, up to ``MAX_STATEMENTS`` per text, named after the sentence's first words. Natural-language rule
requests and feedback are logged as FAILED with a message saying so. Plain functions on plain values.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

MAX_STATEMENTS: Final = 20
MAX_SCENARIOS: Final = 20
_SENTENCE: Final = re.compile(r"[^.!?\n]{12,400}[.!?]?")
_WORD: Final = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_NATURAL_LANGUAGE: Final = (
    "addRuleFromNaturalLanguage",
    "updateFromRulesFeedback",
    "updateFromScenarioFeedback",
)
NOT_TRANSLATED: Final = (
    "The emulator does not translate natural language into policy rules; nothing was changed."
)


def rule_id(expression: str, salt: int) -> str:
    """A rule id as Bedrock's model spells them: an upper-case letter, then eleven letters or digits."""
    digest = hashlib.sha256(f"{salt}|{expression}".encode()).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[digest[0] % 26] + "".join(alphabet[b % 36] for b in digest[1:12])


def statements(text: str) -> list[str]:
    """The sentences of a text the emulator reads as statements (the first ``MAX_STATEMENTS``)."""
    found = []
    for match in _SENTENCE.finditer(text):
        sentence = " ".join(match.group(0).split())
        if len(_WORD.findall(sentence)) >= 3:
            found.append(sentence)
        if len(found) == MAX_STATEMENTS:
            break
    return found


def document_text(document: Mapping[str, Any]) -> tuple[bytes, str]:
    """A workflow document's bytes (its blob arrives base64-encoded) and the text the emulator reads in it:
    a ``txt`` document as UTF-8, a ``pdf`` only where it holds plain text."""
    try:
        data = base64.b64decode(str(document["document"]), validate=True)
    except (binascii.Error, ValueError):
        data = str(document["document"]).encode()
    text = data.decode("utf-8", errors="ignore")
    if document.get("documentContentType") == "pdf":
        text = "\n".join(line for line in text.splitlines() if line.isprintable())
    return data, text


class Builder:
    """A policy definition being edited, and the build log of the edits."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self.definition: dict[str, Any] = copy.deepcopy(dict(definition))
        for member in ("types", "rules", "variables"):
            self.definition.setdefault(member, [])
        self.definition.setdefault("version", "1.0")
        self.log: list[dict[str, Any]] = []

    def _find(self, member: str, key: str, value: str) -> dict[str, Any] | None:
        return next((item for item in self.definition[member] if item.get(key) == value), None)

    def _entry(
        self, annotation: Mapping[str, Any], steps: list[dict[str, Any]], failure: str | None = None
    ) -> None:
        if failure is not None:
            steps = [
                {"context": {"planning": {}}, "messages": [{"message": failure, "messageType": "ERROR"}]}
            ]
        self.log.append(
            {
                "annotation": dict(annotation),
                "status": "FAILED" if failure else "APPLIED",
                "buildSteps": steps,
            }
        )

    @staticmethod
    def _step(
        mutation: str, value: Mapping[str, Any], prior: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        step: dict[str, Any] = {
            "context": {"mutation": {mutation: dict(value)}},
            "messages": [{"message": f"Applied {mutation}.", "messageType": "INFO"}],
        }
        if prior is not None:
            step["priorElement"] = dict(prior)
        return step

    def add_statements(self, text: str, annotation: Mapping[str, Any]) -> None:
        steps = []
        for sentence in statements(text):
            variable = {"name": self._variable_name(sentence), "type": "BOOL", "description": sentence[:1024]}
            self.definition["variables"].append(variable)
            steps.append(self._step("addVariable", {"variable": variable}))
        self._entry(annotation, steps)

    def _variable_name(self, sentence: str) -> str:
        words = [w.lower() for w in _WORD.findall(sentence)[:4]] or ["statement"]
        base = "_".join(words)[:56]
        name, suffix = base, 2
        while self._find("variables", "name", name) is not None:
            name, suffix = f"{base}_{suffix}", suffix + 1
        return name

    def apply(self, annotation: Mapping[str, Any]) -> None:
        """One annotation (a union: exactly one member set), applied and logged."""
        kind, value = next(iter(annotation.items()), ("", {}))
        if not isinstance(value, Mapping):
            value = {}
        if kind in _NATURAL_LANGUAGE:
            self._entry(annotation, [], NOT_TRANSLATED)
        elif kind == "ingestContent":
            self.add_statements(str(value.get("content", "")), annotation)
        elif kind in ("addType", "addVariable"):
            member = "types" if kind == "addType" else "variables"
            if self._find(member, "name", str(value.get("name"))) is not None:
                self._entry(annotation, [], f"{value.get('name')} already exists in the policy.")
                return
            element = {k: copy.deepcopy(v) for k, v in value.items()}
            self.definition[member].append(element)
            self._entry(
                annotation, [self._step(kind, {"type" if kind == "addType" else "variable": element})]
            )
        elif kind in ("updateType", "updateVariable"):
            self._update_named(kind, value, annotation)
        elif kind in ("deleteType", "deleteVariable"):
            member = "types" if kind == "deleteType" else "variables"
            found = self._find(member, "name", str(value.get("name")))
            if found is None:
                self._entry(annotation, [], f"{value.get('name')} is not in the policy.")
                return
            self.definition[member].remove(found)
            self._entry(annotation, [self._step(kind, {"name": found["name"]}, _element(member, found))])
        elif kind in ("addRule", "updateRule", "deleteRule"):
            self._rule(kind, value, annotation)
        else:
            self._entry(annotation, [], "The annotation names no change.")

    def _update_named(self, kind: str, value: Mapping[str, Any], annotation: Mapping[str, Any]) -> None:
        member = "types" if kind == "updateType" else "variables"
        found = self._find(member, "name", str(value.get("name")))
        if found is None:
            self._entry(annotation, [], f"{value.get('name')} is not in the policy.")
            return
        prior = _element(member, copy.deepcopy(found))
        if value.get("newName"):
            found["name"] = value["newName"]
        if value.get("description"):
            found["description"] = value["description"]
        if kind == "updateType":
            for change in value.get("values") or []:
                _change_type_value(found, change)
        self._entry(
            annotation, [self._step(kind, {"type" if kind == "updateType" else "variable": found}, prior)]
        )

    def _rule(self, kind: str, value: Mapping[str, Any], annotation: Mapping[str, Any]) -> None:
        rules: list[dict[str, Any]] = self.definition["rules"]
        if kind == "addRule":
            rule = {
                "id": rule_id(str(value.get("expression")), len(rules)),
                "expression": str(value.get("expression")),
            }
            rules.append(rule)
            self._entry(annotation, [self._step("addRule", {"rule": rule})])
            return
        found = self._find("rules", "id", str(value.get("ruleId")))
        if found is None:
            self._entry(annotation, [], f"Rule {value.get('ruleId')} is not in the policy.")
            return
        prior = _element("rules", copy.deepcopy(found))
        if kind == "deleteRule":
            rules.remove(found)
            self._entry(annotation, [self._step("deleteRule", {"id": found["id"]}, prior)])
        else:
            found["expression"] = str(value.get("expression"))
            self._entry(annotation, [self._step("updateRule", {"rule": found}, prior)])


def _element(member: str, value: Mapping[str, Any]) -> dict[str, Any]:
    name = {
        "types": "policyDefinitionType",
        "variables": "policyDefinitionVariable",
        "rules": "policyDefinitionRule",
    }
    return {name[member]: dict(value)}


def _change_type_value(policy_type: dict[str, Any], change: Mapping[str, Any]) -> None:
    values: list[dict[str, Any]] = policy_type.setdefault("values", [])
    if "addTypeValue" in change:
        values.append(dict(change["addTypeValue"]))
    elif "updateTypeValue" in change:
        update = change["updateTypeValue"]
        for entry in values:
            if entry.get("value") == update.get("value"):
                entry["value"] = update.get("newValue") or entry["value"]
                if update.get("description"):
                    entry["description"] = update["description"]
    elif "deleteTypeValue" in change:
        policy_type["values"] = [
            v for v in values if v.get("value") != change["deleteTypeValue"].get("value")
        ]


def quality_report(definition: Mapping[str, Any]) -> dict[str, Any]:
    expressions = " ".join(str(rule.get("expression", "")) for rule in definition.get("rules", []))
    tokens = set(re.findall(r"[\w]+", expressions))
    variables = definition.get("variables", [])
    used_types = {str(v.get("type")) for v in variables}
    types = definition.get("types", [])
    return {
        "typeCount": len(types),
        "variableCount": len(variables),
        "ruleCount": len(definition.get("rules", [])),
        "unusedTypes": [t["name"] for t in types if t["name"] not in used_types],
        "unusedTypeValues": [
            {"typeName": t["name"], "valueName": v["value"]}
            for t in types
            if t["name"] in used_types
            for v in t.get("values", [])
            if v["value"] not in tokens
        ],
        "unusedVariables": [v["name"] for v in variables if v["name"] not in tokens],
        "conflictingRules": [],
        "disjointRuleSets": [],
    }


def scenarios(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One satisfiable scenario per rule: the rule's own expression."""
    return [
        {
            "expression": rule["expression"],
            "alternateExpression": str(
                rule.get("alternateExpression") or f"A situation where rule {rule['id']} holds."
            )[:1024],
            "expectedResult": "SATISFIABLE",
            "ruleIds": [rule["id"]],
        }
        for rule in list(definition.get("rules", []))[:MAX_SCENARIOS]
    ]


def generated_test_cases(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One test case per described variable: the statement, asserted."""
    return [
        {
            "queryContent": f"Is the following true? {variable['description']}"[:1024],
            "guardContent": str(variable["description"])[:2048],
            "expectedAggregatedFindingsResult": "SATISFIABLE",
        }
        for variable in list(definition.get("variables", []))[:MAX_SCENARIOS]
        if variable.get("description")
    ]


def build(
    definition: Mapping[str, Any],
    documents: Iterable[Mapping[str, Any]],
    annotations: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """Every asset of a build workflow over ``definition``, its ``documents`` and ``annotations``."""
    builder = Builder(definition)
    sources = []
    for document in documents:
        data, text = document_text(document)
        digest = hashlib.sha256(data).hexdigest()
        sources.append(
            {
                "document": base64.b64encode(data).decode(),
                "documentContentType": document["documentContentType"],
                "documentName": document["documentName"],
                "documentHash": digest,
                **(
                    {"documentDescription": document["documentDescription"]}
                    if document.get("documentDescription")
                    else {}
                ),
            }
        )
        builder.add_statements(text, {"ingestContent": {"content": text[:4096] or document["documentName"]}})
    for annotation in annotations:
        builder.apply(annotation)
    built = builder.definition
    manifest = [
        {"assetType": "POLICY_DEFINITION", "assetName": "policy-definition"},
        {"assetType": "QUALITY_REPORT", "assetName": "quality-report"},
        {"assetType": "BUILD_LOG", "assetName": "build-log"},
        {"assetType": "POLICY_SCENARIOS", "assetName": "policy-scenarios"},
        {"assetType": "GENERATED_TEST_CASES", "assetName": "generated-test-cases"},
    ] + [
        {
            "assetType": "SOURCE_DOCUMENT",
            "assetName": source["documentName"],
            "assetId": source["documentHash"][:32],
        }
        for source in sources
    ]
    return {
        "policyDefinition": built,
        "qualityReport": quality_report(built),
        "buildLog": {"entries": builder.log},
        "policyScenarios": {"policyScenarios": scenarios(built)},
        "generatedTestCases": {"generatedTestCases": generated_test_cases(built)},
        "assetManifest": {"entries": manifest},
        "documents": sources,
    }
