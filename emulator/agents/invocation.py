"""One InvokeAgent / InvokeInlineAgent turn, as the list of events the ``completion`` stream sends.

A turn is worked out completely before its first event leaves (so faults and scripted timing apply to a
fixed sequence): pre-processing, orchestration steps (model input and output, rationale, the action or
knowledge-base lookup and its observation, the final response), post-processing, then the answer in
``chunk`` events with ``attribution`` citations when a knowledge base answered. An action whose executor
is RETURN_CONTROL (or that needs the user's confirmation) ends the turn with a ``returnControl`` event;
the next call's ``sessionState.returnControlInvocationResults`` carries on from there. Everything but
event times is a function of the seed, the agent, the session's history and the input.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import string
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from emulator import knowledge
from emulator.agents import guardrail as agent_guardrail
from emulator.agents import traces
from emulator.agents.config import DRAFT_ALIAS_ID as INLINE_ALIAS
from emulator.agents.conversations import Conversation, PendingControl, conversation_store
from emulator.agents.definition import Action, Agent, KnowledgeBaseRef
from emulator.agents.memory import memory_store
from emulator.agents.orchestration import Decision, decide
from emulator.agents.raw_answer import ToolCall
from emulator.control.accounts import account_id
from emulator.control.lifecycle import EPOCH_SHIFT
from emulator.generation import complete, split_deltas
from emulator.guardrails.evaluation import Evaluation
from emulator.knowledge import answers
from emulator.knowledge.retrieval import DEFAULT_NUMBER_OF_RESULTS, Hit, Page, retrieve
from emulator.providers.contract import stable_id
from emulator.state import AppState
from emulator.wire.errors import AwsError
from emulator.wire.eventstream import StreamEvent

NO_ANSWER = answers.NO_ANSWER
# How a created agent decides a turn (``action_matching.decider``); others use ``orchestration.decide``.
Decider = Callable[[Agent, str, Mapping[str, str]], Decision]
# A knowledge base search as Retrieve does it: (id, text, number of results, filter, search type) -> a page,
# or None when the id is not the caller's created knowledge base (the definitions' registry answers then).
Retriever = Callable[[str, str, int, Mapping[str, Any] | None, str | None], Page | None]
_MAX_CHECKED_PIECES = 1000
_INJECTION = re.compile(
    r"ignore (all |your |the )?(previous|prior) instructions|system prompt", re.IGNORECASE
)


@dataclass(frozen=True)
class Request:
    tenant: str
    region: str
    seed: int
    strict: bool
    request_id: str
    agent: Agent
    agent_id: str  # as the caller named it
    alias_id: str
    session_id: str
    input_text: str
    enable_trace: bool = False
    end_session: bool = False
    memory_id: str | None = None
    session_state: Mapping[str, Any] = field(default_factory=dict)
    stream_final_response: bool = False
    guardrail_interval: int = 50  # streamingConfigurations.applyGuardrailInterval (characters)
    scripted_text: str | None = None
    alias_arn: str | None = None
    state: AppState = field(default_factory=AppState, repr=False, compare=False)  # the app's stores
    agent_version: str = "DRAFT"  # the version the alias routes to, as traces report it
    decide: Decider | None = field(default=None, repr=False, compare=False)
    clock: float | None = None  # the virtual clock when the call arrived (trace times end there)
    retrieve: Retriever | None = field(default=None, repr=False, compare=False)


@dataclass
class Outcome:
    events: list[StreamEvent]
    answer: str | None  # None when the turn ended in returnControl
    input_tokens: int = 0
    output_tokens: int = 0


def invoke(request: Request) -> Outcome:
    return _Turn(request).run()


class _Turn:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.agent = request.agent
        self.key = (request.tenant, request.agent_id, request.alias_id, request.session_id)
        self.events: list[StreamEvent] = []
        self.input_tokens = 0
        self.output_tokens = 0
        self.citations: list[dict[str, Any]] = []
        self.tracer = traces.Tracer(
            session_id=request.session_id,
            foundation_model=self.agent.foundation_model,
            agent_id=None if self.agent.inline else request.agent_id,
            alias_id=None if self.agent.inline else request.alias_id,
            alias_arn=request.alias_arn or (_inline_alias_arn(request) if self.agent.inline else None),
        )
        state = request.session_state
        self.prompt_attributes = _string_map(state.get("promptSessionAttributes"), "promptSessionAttributes")
        self.new_attributes = (
            _string_map(state.get("sessionAttributes"), "sessionAttributes")
            if state.get("sessionAttributes") is not None
            else None
        )
        self.results = state.get("returnControlInvocationResults")
        self.history = _history(state.get("conversationHistory"))
        self.guardrail = (
            agent_guardrail.resolve(
                self.agent.guardrail,
                tenant=request.tenant,
                region=request.region,
                strict=request.strict,
                state=request.state,
            )
            if self.agent.guardrail is not None
            else None
        )
        self.input_blocked = False

    # -- the turn ---------------------------------------------------------------------------------------

    def run(self) -> Outcome:
        request = self.request
        conversations = conversation_store(request.state)
        conversation = conversations.open(self.key, self.agent.idle_session_ttl, actions=self.agent.actions)
        if self.new_attributes is not None:
            conversation.session_attributes = dict(self.new_attributes)
        if request.memory_id is not None:
            conversation.memory_id = request.memory_id
        self.conversation = conversation
        try:
            self.base = self._trace_base(len(conversation.turns))
            if self.results is not None:
                user_text, answer = self._resume(conversation)
            else:
                user_text = request.input_text
                answer = self._fresh(user_text)
            if answer is not None:
                answer = self._finish(user_text, answer)
        finally:  # what the turn changed is kept even when it fails half-way, as when it was changed in place
            conversations.save(self.key, conversation)
        if request.end_session:
            self._end(conversation)
        self.tracer.stamp(self.events, _epoch_ns(request.clock))
        return Outcome(self.events, answer, self.input_tokens, self.output_tokens)

    def _fresh(self, text: str) -> str | None:
        attributes = {**self.conversation.session_attributes, **self.prompt_attributes}
        if self.guardrail is not None:
            checked = self._guard(text, "INPUT", f"{self.base}-guardrail-pre-0")
            if checked.blocked:
                self.input_blocked = True
                return checked.blocked_message
            text = checked.masked[0]  # the agent reads the input as the guardrail masked it
        if self.agent.pre_processing and not self._pre_process(text):
            return NO_ANSWER
        decision = (self.request.decide or decide)(self.agent, text, attributes)
        prompt = self._prompt(text)
        if decision.kind == "action" and decision.action is not None:
            return self._act(decision, prompt, text)
        if decision.kind == "knowledge_base":
            return self._look_up(decision, prompt, text)
        if decision.kind == "answer" and decision.answer is not None:
            self._model_step(f"{self.base}-0", prompt, decision.rationale, decision.answer)
            self._trace(traces.final_observation(self.tracer, f"{self.base}-0", decision.answer))
            return decision.answer
        if decision.kind == "ask_user":
            question = _question(decision)
            self._model_step(f"{self.base}-0", prompt, decision.rationale, question)
            self._trace(traces.final_observation(self.tracer, f"{self.base}-0", question, "ASK_USER"))
            return question
        reply = self._small_talk(text)
        self._model_step(f"{self.base}-0", prompt, decision.rationale, reply)
        self._trace(traces.final_observation(self.tracer, f"{self.base}-0", reply))
        return reply

    def _pre_process(self, text: str) -> bool:
        trace_id = f"{self.base}-pre-0"
        prompt = json.dumps(
            {
                "system": "Classify the user's input into one of the categories A to E before it reaches the agent.",
                "messages": [{"role": "user", "content": text}],
            }
        )
        valid = bool(text.strip()) and _INJECTION.search(text) is None
        category = "D" if valid else ("B" if text.strip() else "A")
        reason = (
            "The input is a request the agent can answer with its functions or knowledge, so it is category D."
            if valid
            else f"The input is empty or tries to change the agent's instructions, so it is category {category}."
        )
        raw = f"<thinking>{reason}</thinking>\n\n<category>{category}</category>"
        self._trace(self.tracer.model_input("preProcessingTrace", trace_id, "PRE_PROCESSING", prompt))
        call = self._call(trace_id, prompt, [raw])
        self._trace(traces.pre_processing_output(trace_id, call, valid, reason))
        return valid

    def _act(self, decision: Decision, prompt: str, text: str) -> str | None:
        action = decision.action
        assert action is not None
        trace_id = f"{self.base}-0"
        self._model_step(trace_id, prompt, decision.rationale, None, action, decision.parameters)
        if action.executor == "RETURN_CONTROL" or action.requires_confirmation:
            invocation_id = self._uuid("return-control")
            self._trace(traces.action_input(trace_id, action, decision.parameters, invocation_id))
            self.conversation.pending = PendingControl(
                invocation_id, action, dict(decision.parameters), action.requires_confirmation, text
            )
            self.events.append(
                ("returnControl", _return_control(self.request, action, decision.parameters, invocation_id))
            )
            return None
        self._trace(traces.action_input(trace_id, action, decision.parameters, None))
        result = run_lambda(action, decision.parameters)
        self._trace(traces.action_observation(self.tracer, trace_id, result))
        return self._conclude(prompt, phrase(action, decision.parameters, result))

    def _look_up(self, decision: Decision, prompt: str, text: str) -> str:
        trace_id = f"{self.base}-0"
        refs = self._knowledge_bases(decision.knowledge_base_id)
        self._model_step(trace_id, prompt, decision.rationale, None)
        hits: list[Hit] = []
        for ref in refs:
            self._trace(traces.knowledge_base_input(trace_id, ref.knowledge_base_id, text))
            found = self._search(ref, text)
            self._trace(
                traces.knowledge_base_observation(self.tracer, trace_id, [h.reference() for h in found])
            )
            hits.extend(found)
        hits.sort(key=lambda h: -h.score)
        result = answers.answer(text, hits, seed=self.request.seed, scripted_text=self.request.scripted_text)
        self.citations = [c for c in result.citations() if c["retrievedReferences"]]
        # The knowledge base's own answer step, then the final response (as recorded: no orchestration
        # step in between); its trace id names no iteration, "-KB-null-0".
        generation_id = f"{self.base}-KB-null-0"
        kb_prompt = _knowledge_prompt(text, hits)
        self._trace(
            self.tracer.model_input(
                "orchestrationTrace", generation_id, "KNOWLEDGE_BASE_RESPONSE_GENERATION", kb_prompt
            )
        )
        call = self._call(generation_id, kb_prompt, [_knowledge_answer(result.text, len(hits))])
        self._trace(traces.orchestration_output(generation_id, call))
        trace_id = f"{self.base}-1"
        self._trace(traces.final_observation(self.tracer, trace_id, result.text))
        return result.text

    def _resume(self, conversation: Conversation) -> tuple[str, str | None]:
        pending = conversation.pending
        invocation_id = self.request.session_state.get("invocationId")
        if pending is None:
            raise AwsError(
                "ValidationException",
                "returnControlInvocationResults were sent but the session has no pending returnControl invocation.",
            )
        if invocation_id is not None and invocation_id != pending.invocation_id:
            raise AwsError(
                "ValidationException",
                f"The invocationId {invocation_id} does not match the pending returnControl invocation.",
            )
        conversation.pending = None
        outcome = _returned(self.results)
        trace_id = f"{self.base}-0"
        action = pending.action
        prompt = self._prompt(pending.input_text)
        ran = False  # whether the emulator ran the action's Lambda (else the caller sent its result)
        if outcome.denied:
            result = f"The user declined to run {action.name}."
            answer = f"Understood, I have not run {action.name}."
        elif pending.confirmation and action.executor == "LAMBDA":
            self._trace(traces.action_input(trace_id, action, pending.parameters, None))
            result = run_lambda(action, pending.parameters)
            answer = phrase(action, pending.parameters, result)
            ran = True
        else:
            result = outcome.body
            answer = (
                f"Sorry, {action.name} did not succeed: {result}"
                if outcome.failed
                else phrase(action, pending.parameters, result)
            )
        self._trace(traces.action_observation(self.tracer if ran else None, trace_id, result))
        return pending.input_text, self._conclude(prompt, answer, step=1)

    def _conclude(self, prompt: str, answer: str, *, step: int = 1, scripted_applied: bool = False) -> str:
        if self.request.scripted_text is not None and not scripted_applied:
            answer = self.request.scripted_text
        trace_id = f"{self.base}-{step}"
        self._model_step(trace_id, prompt, None, answer)
        self._trace(traces.final_observation(self.tracer, trace_id, answer))
        return answer

    def _finish(self, user_text: str, answer: str) -> str:
        if self.input_blocked:
            return self._respond(user_text, answer, [answer])
        if self.request.scripted_text is not None and not self.citations:
            answer = self.request.scripted_text
        if self.agent.post_processing:
            trace_id = f"{self.base}-post-0"
            prompt = json.dumps(
                {
                    "system": "Rewrite the agent's answer for the user, keeping every fact.",
                    "messages": [
                        {"role": "user", "content": user_text},
                        {"role": "assistant", "content": answer},
                    ],
                }
            )
            self._trace(self.tracer.model_input("postProcessingTrace", trace_id, "POST_PROCESSING", prompt))
            call = self._call(trace_id, prompt, [f"<final_response>\n{answer}\n</final_response>"])
            self._trace(traces.post_processing_output(trace_id, call, answer))
        if self.guardrail is None:
            return self._respond(user_text, answer, split_deltas(answer))
        if self.request.stream_final_response:
            return self._respond_checked(user_text, answer)
        checked = self._guard(answer, "OUTPUT", f"{self.base}-guardrail-post-0")
        if checked.blocked:
            answer = checked.blocked_message
        elif checked.anonymized:
            answer = checked.masked[0]
        return self._respond(user_text, answer, [answer])

    def _respond_checked(self, user_text: str, answer: str) -> str:
        """A streamed answer under a guardrail: each ``applyGuardrailInterval`` characters checked just
        before their chunk leaves, as recorded; a blocked piece is the last, replaced by the blocked
        messaging."""
        # At most _MAX_CHECKED_PIECES checks however small the interval (a bound on the events one answer makes).
        interval = max(self.request.guardrail_interval, -(-len(answer) // _MAX_CHECKED_PIECES))
        starts = range(0, len(answer), interval) if answer else range(1)
        sent: list[str] = []
        for start in starts:
            checked = self._guard(answer[start : start + interval], "OUTPUT", f"{self.base}-guardrail-post-0")
            sent.append(checked.blocked_message if checked.blocked else checked.masked[0])
            last = checked.blocked or start + interval >= len(answer)
            self._chunk(sent[-1], last=last)
            if last:
                break
        self.conversation.turns.append((user_text, "".join(sent)))
        return "".join(sent)

    def _respond(self, user_text: str, answer: str, streamed: list[str]) -> str:
        """The answer's ``chunk`` events (``streamed`` pieces when the caller asked for a streamed final
        response, else one); the turn remembered."""
        pieces = streamed if self.request.stream_final_response else [answer]
        pieces = [p for p in pieces if p] or [""]
        for index, piece in enumerate(pieces):
            self._chunk(piece, last=index == len(pieces) - 1)
        self.conversation.turns.append((user_text, answer))
        return answer

    def _chunk(self, piece: str, *, last: bool) -> None:
        """One ``chunk`` event; the last carries the answer's citations."""
        chunk: dict[str, Any] = {"bytes": base64.b64encode(piece.encode()).decode()}
        if self.citations and last:
            chunk["attribution"] = {"citations": self.citations}
        self.events.append(("chunk", chunk))

    def _end(self, conversation: Conversation) -> None:
        conversation_store(self.request.state).end(self.key)
        memory_id = conversation.memory_id
        days = self.agent.memory_storage_days
        if memory_id is None or days is None or not conversation.turns:
            return
        memory_store(self.request.state).add(
            (self.request.tenant, self.request.agent_id, self.request.alias_id, memory_id),
            conversation.session_id,
            conversation.started_at,
            days,
            conversation.turns,
            self.agent.max_recent_sessions,
        )

    # -- pieces -------------------------------------------------------------------------------------------

    def _model_step(
        self,
        trace_id: str,
        prompt: str,
        why: str | None,
        answer: str | None,
        action: Action | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        parts, stop_reason, stop_sequence = _model_message(trace_id, why, answer, action, parameters or {})
        self._trace(self.tracer.model_input("orchestrationTrace", trace_id, "ORCHESTRATION", prompt))
        call = self._call(trace_id, prompt, parts, stop_reason, stop_sequence)
        self._trace(traces.orchestration_output(trace_id, call))
        if why is not None:
            self._trace(traces.rationale(trace_id, why))

    def _prompt(self, text: str) -> str:
        lines = [self.agent.instruction]
        if self.agent.actions:
            lines.append("You can call these functions:")
            lines.extend(
                f"- {_tool_name(a)}({', '.join(p.name for p in a.parameters)}): {a.description}"
                for a in self.agent.actions
            )
        for ref in self.agent.knowledge_bases:
            lines.append(f"Knowledge base {ref.knowledge_base_id}: {ref.description}")
        if self.prompt_attributes:
            lines.append(
                f"<prompt_session_attributes>{json.dumps(self.prompt_attributes, sort_keys=True)}</prompt_session_attributes>"
            )
        if self.request.memory_id is not None and not self.agent.inline:
            summaries = memory_store(self.request.state).get(
                (self.request.tenant, self.request.agent_id, self.request.alias_id, self.request.memory_id),
                time.time(),
            )
            if summaries:
                lines.append("<memory>" + "\n".join(s.summary_text for s in summaries) + "</memory>")
        messages: list[dict[str, str]] = list(self.history)
        for user, assistant in self.conversation.turns:
            messages.extend(({"role": "user", "content": user}, {"role": "assistant", "content": assistant}))
        messages.append({"role": "user", "content": text})
        return json.dumps({"system": "\n".join(lines), "messages": messages}, ensure_ascii=False)

    def _knowledge_bases(self, wanted: str | None) -> list[KnowledgeBaseRef]:
        refs = list(self.agent.knowledge_bases)
        if wanted is not None:
            refs = [r for r in refs if r.knowledge_base_id == wanted] or [KnowledgeBaseRef(wanted, "")]
        return refs

    def _search(self, ref: KnowledgeBaseRef, text: str) -> list[Hit]:
        search = dict(ref.retrieval)
        for override in self.request.session_state.get("knowledgeBaseConfigurations") or ():
            if isinstance(override, Mapping) and override.get("knowledgeBaseId") == ref.knowledge_base_id:
                search = dict(
                    (override.get("retrievalConfiguration") or {}).get("vectorSearchConfiguration") or {}
                )
        count = search.get("numberOfResults", DEFAULT_NUMBER_OF_RESULTS)
        number = count if isinstance(count, int) and 1 <= count <= 100 else DEFAULT_NUMBER_OF_RESULTS
        filter_spec = search.get("filter") if isinstance(search.get("filter"), Mapping) else None
        search_type = (
            search.get("overrideSearchType")
            if search.get("overrideSearchType") in ("HYBRID", "SEMANTIC")
            else None
        )
        if self.request.retrieve is not None:
            created = self.request.retrieve(ref.knowledge_base_id, text, number, filter_spec, search_type)
            if created is not None:
                return created.hits
        resolved = knowledge.current(self.request.state).resolve(
            ref.knowledge_base_id, strict=self.request.strict
        )
        page = retrieve(
            resolved.knowledge_base,
            text,
            number_of_results=number,
            filter_spec=filter_spec,
            search_type=search_type,
        )
        return page.hits

    def _small_talk(self, text: str) -> str:
        if not text.strip():
            return NO_ANSWER
        key = f"{self.agent.agent_id}|{self.agent.instruction}|{text}".encode()
        return complete(key, max_tokens=60, seed=self.request.seed).text

    def _trace(self, trace: Mapping[str, Any]) -> None:
        if self.request.enable_trace:
            event, part = self.tracer.part(trace)
            if "agentVersion" in part:
                part["agentVersion"] = self.request.agent_version
            self.events.append((event, part))

    def _guard(self, text: str, source: str, trace_id: str) -> Evaluation:
        """One check of the agent's guardrail, traced as ``guardrailTrace``."""
        assert self.guardrail is not None
        checked = agent_guardrail.check(self.guardrail, text, source)
        request_id = self._uuid(f"guardrail-{source}")
        metadata = self.tracer.call_metadata(request_id, agent_guardrail.check_ms(text))
        self._trace(agent_guardrail.trace(checked, trace_id, metadata))
        return checked

    def _call(
        self,
        trace_id: str,
        prompt: str,
        parts: Sequence[str | ToolCall],
        stop_reason: str = "end_turn",
        stop_sequence: str | None = None,
    ) -> traces.ModelCall:
        """One model call: its trace pieces, its tokens counted into the turn's usage."""
        call = self.tracer.model_call(trace_id, prompt, parts, stop_reason, stop_sequence)
        self.input_tokens += call.input_tokens
        self.output_tokens += call.output_tokens
        return call

    def _trace_base(self, turn: int) -> str:
        return self._uuid(f"turn-{turn}")

    def _uuid(self, purpose: str) -> str:
        request = self.request
        parts = [
            str(request.seed),
            request.agent_id,
            request.alias_id,
            request.session_id,
            str(len(self.conversation.turns)),
            request.input_text,
            json.dumps(self.results, sort_keys=True, default=str),
            purpose,
        ]
        digest = hashlib.blake2b("|".join(parts).encode(), digest_size=16).digest()
        return str(uuid.UUID(bytes=digest, version=4))


# -- action execution ---------------------------------------------------------------------------------------


def run_lambda(action: Action, parameters: Mapping[str, str]) -> str:
    """What the action group's Lambda returns, as the stand-in computes it."""
    if callable(action.result):
        return action.result(parameters)
    if isinstance(action.result, str):
        return string.Template(action.result).safe_substitute(parameters)
    return json.dumps({"status": "OK", "action": action.name, "parameters": dict(parameters)}, sort_keys=True)


def phrase(action: Action, parameters: Mapping[str, str], result: str) -> str:
    """The agent's answer from an action's result: the action's ``answer`` template, or a plain report."""
    values: dict[str, str] = dict(parameters)
    try:
        parsed = json.loads(result)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        values.update({str(k): v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()})
    values.setdefault("result", result)
    if action.answer is not None:
        return string.Template(action.answer).safe_substitute(values)
    return f"Here is what {action.name} returned: {result}"


@dataclass(frozen=True)
class _Returned:
    body: str
    denied: bool
    failed: bool


def _returned(results: Any) -> _Returned:
    if not isinstance(results, list) or not results or not isinstance(results[0], Mapping):
        raise AwsError("ValidationException", "returnControlInvocationResults must hold 1 to 5 results.")
    member = results[0]
    result = member.get("functionResult") or member.get("apiResult")
    if not isinstance(result, Mapping):
        raise AwsError(
            "ValidationException", "Each invocation result needs a functionResult or an apiResult."
        )
    body = ""
    response_body = result.get("responseBody")
    if isinstance(response_body, Mapping):
        for content in response_body.values():
            if isinstance(content, Mapping) and isinstance(content.get("body"), str):
                body = content["body"]
                break
    return _Returned(
        body,
        denied=result.get("confirmationState") == "DENY",
        failed=result.get("responseState") in ("FAILURE", "REPROMPT"),
    )


def _return_control(
    request: Request, action: Action, parameters: Mapping[str, str], invocation_id: str
) -> dict[str, Any]:
    if action.requires_confirmation:
        kind = "USER_CONFIRMATION" if action.executor == "LAMBDA" else "USER_CONFIRMATION_AND_RESULT"
    else:
        kind = "RESULT"
    member: dict[str, Any] = {"actionGroup": action.group, "actionInvocationType": kind}
    if not request.agent.inline:
        member["agentId"] = request.agent_id
    if action.is_api:
        member["apiPath"] = action.api_path
        member["httpMethod"] = (action.verb or "get").upper()
        member["parameters"] = traces.parameter_list(action, parameters, body=False)
        body = traces.parameter_list(action, parameters, body=True)
        if body:
            member["requestBody"] = {"content": {"application/json": {"properties": body}}}
        entry = {"apiInvocationInput": member}
    else:
        member["function"] = action.name
        member["parameters"] = traces.parameter_list(action, parameters)
        entry = {"functionInvocationInput": member}
    return {"invocationId": invocation_id, "invocationInputs": [entry]}


def _epoch_ns(clock: float | None) -> int:
    """A virtual clock reading (the wall clock without one) as nanoseconds since the epoch."""
    return time.time_ns() if clock is None else int((clock + EPOCH_SHIFT) * 1_000_000_000)


def _inline_alias_arn(request: Request) -> str:
    """The caller chain's one entry in an inline agent's traces, as recorded: a fixed pseudo alias."""
    return f"arn:aws:bedrock:{request.region}:{account_id(request.tenant)}:agent-alias/INLINE_AGENT/{INLINE_ALIAS}"


def _tool_name(action: Action) -> str:
    if action.is_api:
        return f"{(action.verb or 'get').upper()}__{action.group}__{action.name}"
    return f"{action.group}__{action.name}"


def _model_message(
    trace_id: str, why: str | None, answer: str | None, action: Action | None, parameters: Mapping[str, str]
) -> tuple[list[str | ToolCall], str, str | None]:
    """An orchestration step's answer as the recorded Claude agents write it: the thought in ``<thinking>``,
    then a tool call (stopping for the tool) or ``<answer>`` cut at its closing tag, the stop sequence."""
    thought = f"<thinking>{why}</thinking>" if why is not None else None
    if action is not None:
        call = ToolCall("toolu_bdrk_01" + stable_id(trace_id, 22), _tool_name(action), dict(parameters))
        return [*([thought] if thought else []), call], "tool_use", None
    if answer is not None:
        text = f"<answer>{answer}" if thought is None else f"{thought}\n\n<answer>{answer}"
        return [text], "stop_sequence", "</answer>"
    return [thought or ""], "end_turn", None


def _knowledge_prompt(question: str, hits: Sequence[Hit]) -> str:
    """The knowledge-base answer step's prompt: the passages found, numbered, and the question."""
    results = "\n".join(
        f"<search_result>\n<content>\n{hit.text}\n</content>\n<source>{index}</source>\n</search_result>"
        for index, hit in enumerate(hits, start=1)
    )
    return (
        "Answer the user's question from these search results only, and say so when they do not hold the "
        f"answer.\n<search_results>\n{results}\n</search_results>\n<question>\n{question}\n</question>"
    )


def _knowledge_answer(text: str, sources: int) -> str:
    """The answer step's raw text, in the ``<answer_part>`` form the recorded knowledge-base steps write."""
    cited = "".join(f"<source>{index}</source>\n" for index in range(1, sources + 1))
    return f"<answer>\n<answer_part>\n<text>\n{text}\n</text>\n<sources>\n{cited}</sources>\n</answer_part>\n</answer>"


def _question(decision: Decision) -> str:
    wanted = [p.description.rstrip(".") or p.name.replace("_", " ") for p in decision.missing]
    action = decision.action.name.replace("_", " ") if decision.action else "help you"
    return f"I can {action} for you. Could you tell me {' and '.join(w[0].lower() + w[1:] for w in wanted)}?"


def _string_map(value: Any, member: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise AwsError("ValidationException", f"sessionState.{member} must map strings to strings")
    return {str(k): v for k, v in value.items()}


def _history(value: Any) -> Sequence[dict[str, str]]:
    if not isinstance(value, Mapping):
        return []
    messages = []
    for message in value.get("messages") or ():
        if not isinstance(message, Mapping):
            continue
        text = " ".join(
            str(block.get("text", "")) for block in message.get("content") or () if isinstance(block, Mapping)
        )
        messages.append({"role": str(message.get("role", "user")), "content": text})
    return messages
