// One Amazon Nova Sonic speech-to-speech session over InvokeModelWithBidirectionalStreamCommand, with the
// SDK's default HTTP/2 handler, as an application would write it: session and prompt start, a system
// prompt, a user turn of audio sent in chunks while answers arrive, then prompt and session end.
// Prints one JSON object: the output events in order (audio reduced to its byte count) and any error.
//
// Environment: BEDROCK_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, MODEL_ID;
// SONIC_CASE: "turn" (default) | "out-of-order" (audio before promptStart).
import {
  BedrockRuntimeClient,
  InvokeModelWithBidirectionalStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { randomUUID } from "node:crypto";

const client = new BedrockRuntimeClient({
  endpoint: process.env.BEDROCK_ENDPOINT,
  region: process.env.AWS_REGION,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID,
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY,
  },
  maxAttempts: 1,
});
const sonicCase = process.env.SONIC_CASE || "turn";
const promptName = randomUUID();
const systemName = randomUUID();
const audioName = randomUUID();
const encoder = new TextEncoder();
const chunk = (event) => ({ chunk: { bytes: encoder.encode(JSON.stringify({ event })) } });
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function* input() {
  yield chunk({ sessionStart: { inferenceConfiguration: { maxTokens: 256, topP: 0.9, temperature: 0.7 } } });
  if (sonicCase === "out-of-order") {
    yield chunk({ audioInput: { promptName, contentName: audioName, content: "AAAA" } });
    await pause(500);
    return;
  }
  yield chunk({
    promptStart: {
      promptName,
      textOutputConfiguration: { mediaType: "text/plain" },
      audioOutputConfiguration: {
        mediaType: "audio/lpcm",
        sampleRateHertz: 24000,
        sampleSizeBits: 16,
        channelCount: 1,
        voiceId: "matthew",
        encoding: "base64",
        audioType: "SPEECH",
      },
    },
  });
  yield chunk({
    contentStart: {
      promptName,
      contentName: systemName,
      type: "TEXT",
      interactive: false,
      role: "SYSTEM",
      textInputConfiguration: { mediaType: "text/plain" },
    },
  });
  yield chunk({ textInput: { promptName, contentName: systemName, content: "You are a friendly assistant." } });
  yield chunk({ contentEnd: { promptName, contentName: systemName } });
  yield chunk({
    contentStart: {
      promptName,
      contentName: audioName,
      type: "AUDIO",
      interactive: true,
      role: "USER",
      audioInputConfiguration: {
        mediaType: "audio/lpcm",
        sampleRateHertz: 16000,
        sampleSizeBits: 16,
        channelCount: 1,
        audioType: "SPEECH",
        encoding: "base64",
      },
    },
  });
  const frame = Buffer.alloc(1024, 7).toString("base64"); // 32 ms of 16 kHz 16-bit mono
  for (let i = 0; i < 20; i++) {
    yield chunk({ audioInput: { promptName, contentName: audioName, content: frame } });
  }
  yield chunk({ contentEnd: { promptName, contentName: audioName } });
  await pause(300); // the model answers while the session is still open
  yield chunk({ promptEnd: { promptName } });
  yield chunk({ sessionEnd: {} });
}

const events = [];
let error = null;
let httpStatusCode = null;
try {
  const response = await client.send(
    new InvokeModelWithBidirectionalStreamCommand({ modelId: process.env.MODEL_ID, body: input() }),
  );
  httpStatusCode = response.$metadata.httpStatusCode;
  for await (const part of response.body) {
    if (!part.chunk?.bytes) {
      events.push({ other: Object.keys(part) });
      continue;
    }
    const { event } = JSON.parse(new TextDecoder().decode(part.chunk.bytes));
    const [name] = Object.keys(event);
    const body = { ...event[name] };
    if (name === "audioOutput") body.content = Buffer.from(body.content, "base64").length;
    events.push({ [name]: body });
  }
} catch (caught) {
  error = { name: caught.name, message: caught.message, status: caught.$metadata?.httpStatusCode ?? null };
}
console.log(JSON.stringify({ httpStatusCode, events, error }));
