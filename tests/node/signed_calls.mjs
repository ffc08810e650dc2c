// Calls a signature-verifying emulator with the AWS SDK for JavaScript v3 (its default HTTP/2 handler)
// and prints one JSON object: what came back, or the error the SDK threw.
//
// Usage: node signed_calls.mjs <case>     case: converse | converse-stream | invoke-stream
// Environment: BEDROCK_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, MODEL_ID, and
//   CLOCK_OFFSET_MS (optional): sign as if the clock were that far off (the SDK's systemClockOffset);
//   MAX_ATTEMPTS (optional, default 1).
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";

const modelId = process.env.MODEL_ID;
const client = new BedrockRuntimeClient({
  endpoint: process.env.BEDROCK_ENDPOINT,
  region: process.env.AWS_REGION,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  },
  maxAttempts: Number(process.env.MAX_ATTEMPTS ?? 1),
  systemClockOffset: Number(process.env.CLOCK_OFFSET_MS ?? 0),
});
const messages = [{ role: "user", content: [{ text: "Name three colours." }] }];

async function converse() {
  const out = await client.send(new ConverseCommand({ modelId, messages, inferenceConfig: { maxTokens: 16 } }));
  return { httpStatusCode: out.$metadata.httpStatusCode, attempts: out.$metadata.attempts, stopReason: out.stopReason };
}

async function converseStream() {
  const out = await client.send(
    new ConverseStreamCommand({ modelId, messages, inferenceConfig: { maxTokens: 16 } }),
  );
  const events = [];
  for await (const event of out.stream) {
    events.push(Object.keys(event).filter((key) => event[key] !== undefined)[0]);
  }
  return { httpStatusCode: out.$metadata.httpStatusCode, events };
}

async function invokeStream() {
  const body = JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 16,
    messages: [{ role: "user", content: "Name three colours." }],
  });
  const out = await client.send(
    new InvokeModelWithResponseStreamCommand({ modelId, contentType: "application/json", body }),
  );
  const types = [];
  for await (const event of out.body) {
    if (event.chunk) types.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)).type);
  }
  return { httpStatusCode: out.$metadata.httpStatusCode, types };
}

const cases = { converse, "converse-stream": converseStream, "invoke-stream": invokeStream };
const name = process.argv[2];
if (!(name in cases)) {
  console.error(`unknown case ${name}; one of ${Object.keys(cases).join(", ")}`);
  process.exit(2);
}
let result;
try {
  result = await cases[name]();
} catch (caught) {
  result = {
    error: {
      name: caught.name,
      message: caught.message,
      fault: caught.$fault,
      httpStatusCode: caught.$metadata?.httpStatusCode,
    },
  };
}
result.requestHandler = client.config.requestHandler?.constructor?.name ?? null;
client.destroy();
console.log(JSON.stringify(result));
