// Calls the emulator with the AWS SDK for JavaScript v3 exactly as an application would (default request
// handler, default retries off only to keep errors single-shot) and prints one JSON object on stdout.
//
// Usage: node bedrock_calls.mjs <case>
//   case: converse | converse-stream | invoke | invoke-stream | error | stream-error
// Environment: BEDROCK_ENDPOINT (http://127.0.0.1:PORT), AWS_ACCESS_KEY_ID (the tenant),
//   AWS_SECRET_ACCESS_KEY, AWS_REGION, and MODEL_ID (an inference profile id for the invoke cases).
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";

const endpoint = process.env.BEDROCK_ENDPOINT;
const modelId = process.env.MODEL_ID;
const client = new BedrockRuntimeClient({
  endpoint,
  region: process.env.AWS_REGION,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  },
  maxAttempts: 1,
});

const messages = [{ role: "user", content: [{ text: "Name three colours." }] }];
const anthropicBody = {
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 40,
  messages: [{ role: "user", content: "Name three colours." }],
};

async function converse() {
  const out = await client.send(
    new ConverseCommand({ modelId, messages, inferenceConfig: { maxTokens: 40 } }),
  );
  return {
    httpStatusCode: out.$metadata.httpStatusCode,
    requestId: out.$metadata.requestId,
    role: out.output.message.role,
    text: out.output.message.content.map((block) => block.text ?? "").join(""),
    stopReason: out.stopReason,
    usage: out.usage,
    latencyMs: out.metrics?.latencyMs,
  };
}

async function converseStream() {
  const out = await client.send(
    new ConverseStreamCommand({ modelId, messages, inferenceConfig: { maxTokens: 40 } }),
  );
  const events = [];
  let text = "";
  let stopReason = null;
  let usage = null;
  for await (const event of out.stream) {
    const [kind] = Object.keys(event).filter((key) => event[key] !== undefined);
    events.push(kind);
    if (kind === "contentBlockDelta") text += event.contentBlockDelta.delta.text ?? "";
    if (kind === "messageStop") stopReason = event.messageStop.stopReason;
    if (kind === "metadata") usage = event.metadata.usage;
  }
  return { httpStatusCode: out.$metadata.httpStatusCode, events, text, stopReason, usage };
}

async function invoke() {
  const out = await client.send(
    new InvokeModelCommand({
      modelId,
      contentType: "application/json",
      accept: "application/json",
      body: JSON.stringify(anthropicBody),
    }),
  );
  return {
    httpStatusCode: out.$metadata.httpStatusCode,
    contentType: out.contentType,
    body: JSON.parse(new TextDecoder().decode(out.body)),
  };
}

async function invokeStream() {
  const out = await client.send(
    new InvokeModelWithResponseStreamCommand({
      modelId,
      contentType: "application/json",
      accept: "application/json",
      body: JSON.stringify(anthropicBody),
    }),
  );
  const chunks = [];
  for await (const event of out.body) {
    if (event.chunk) chunks.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)));
  }
  return { httpStatusCode: out.$metadata.httpStatusCode, contentType: out.contentType, chunks };
}

function describeError(error) {
  return {
    name: error.name,
    message: error.message,
    fault: error.$fault,
    httpStatusCode: error.$metadata?.httpStatusCode,
    requestId: error.$metadata?.requestId,
  };
}

async function error() {
  try {
    await client.send(new ConverseCommand({ modelId: "anthropic.claude-nonexistent-v9:0", messages }));
  } catch (caught) {
    return { error: describeError(caught) };
  }
  return { error: null };
}

async function streamError() {
  // A stream that opens (200) and then carries an exception event: the SDK throws while iterating.
  const out = await client.send(new ConverseStreamCommand({ modelId, messages }));
  const events = [];
  try {
    for await (const event of out.stream) {
      events.push(Object.keys(event).filter((key) => event[key] !== undefined)[0]);
    }
  } catch (caught) {
    return { httpStatusCode: out.$metadata.httpStatusCode, events, error: describeError(caught) };
  }
  return { httpStatusCode: out.$metadata.httpStatusCode, events, error: null };
}

const cases = {
  converse,
  "converse-stream": converseStream,
  invoke,
  "invoke-stream": invokeStream,
  error,
  "stream-error": streamError,
};

const name = process.argv[2];
if (!(name in cases)) {
  console.error(`unknown case ${name}; one of ${Object.keys(cases).join(", ")}`);
  process.exit(2);
}
const result = await cases[name]();
// Which request handler the client resolved, untouched: bedrock-runtime's default is NodeHttp2Handler.
result.requestHandler = client.config.requestHandler?.constructor?.name ?? null;
client.destroy();
console.log(JSON.stringify(result));
