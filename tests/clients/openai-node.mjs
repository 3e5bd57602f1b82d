// The official OpenAI Node SDK through ClawBox, configured only by what ClawBox wrote into the
// agent's .env (OPENAI_BASE_URL and OPENAI_API_KEY, passed in as the environment).
import OpenAI from "openai";

const client = new OpenAI({ maxRetries: 0 });
const messages = [{ role: "user", content: "say hi" }];
const model = "gpt-4o-mini";

const chat = await client.chat.completions.create({ model, messages });
const stream = await client.chat.completions.create({
  model,
  messages,
  stream: true,
  stream_options: { include_usage: true },
});
let streamed = "";
let usage = null;
for await (const chunk of stream) {
  streamed += chunk.choices[0]?.delta?.content ?? "";
  if (chunk.usage) usage = chunk.usage.total_tokens;
}
const response = await client.responses.create({ model, input: "say hi" });
console.log(
  JSON.stringify({
    chat: chat.choices[0].message.content,
    chatTokens: chat.usage?.total_tokens ?? null,
    streamed,
    usage,
    responses: response.output_text,
  }),
);
