"""Guardrails: definitions in CreateGuardrail's shape, where they live, and how text is judged by them.

``registry`` holds the bundled sample, configured and created guardrails; ``evaluation`` judges text and
builds Bedrock's assessments; ``invocation`` applies a guardrail around a model call; ``detectors`` is
what the stand-in classifiers recognise.
"""

from emulator.guardrails.definition import Guardrail, read_definition
from emulator.guardrails.evaluation import Evaluation, evaluate
from emulator.guardrails.invocation import Guarded, for_converse, for_invoke
from emulator.guardrails.registry import KIND, SAMPLE_GUARDRAIL_ID, Registry, configure, current, sample

__all__ = [
    "KIND",
    "SAMPLE_GUARDRAIL_ID",
    "Evaluation",
    "Guarded",
    "Guardrail",
    "Registry",
    "configure",
    "current",
    "evaluate",
    "for_converse",
    "for_invoke",
    "read_definition",
    "sample",
]
