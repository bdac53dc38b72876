import { deepEqual, equal, ok } from "../assert.js";
import { API, type Context } from "../context.js";
import { FakeNetwork, at, clock, reply, text, type Received } from "../fakes.js";

/** A request body is sent again, whole, to every backend tried. */
export function replayCases({ t, lib }: Context): void {
  /** Sends `init` through a balancer whose tier 1 answers 429 and returns what both backends received. */
  const sendTwice = async (
    init: RequestInit | (() => RequestInit) | undefined,
    input: string | Request = API,
  ): Promise<[Received, Received]> => {
    const net = new FakeNetwork()
      .route("https://a.test", reply(429, { "retry-after": "1" }))
      .route("https://b.test", reply(200));
    const lb = lib.createLoadBalancer({
      backends: [
        { url: "https://a.test", priority: 1 },
        { url: "https://b.test", priority: 2 },
      ],
      fetch: net.fetch,
      now: clock().read,
    });
    equal((await lb.fetch(input, typeof init === "function" ? init() : init)).status, 200);
    deepEqual(net.origins(), ["https://a.test", "https://b.test"]);
    return [at(net.received, 0), at(net.received, 1)];
  };

  const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
  const plain: [string, () => BodyInit, string][] = [
    ["a string", () => '{"messages":[]}', '{"messages":[]}'],
    ["a Uint8Array", () => bytes.slice(), text(bytes)],
    ["an ArrayBuffer", () => bytes.slice().buffer, text(bytes)],
    ["a Blob", () => new Blob(["blob-", "content"], { type: "application/octet-stream" }), "blob-content"],
    ["URLSearchParams", () => new URLSearchParams({ a: "1", b: "two words" }), "a=1&b=two+words"],
  ];
  for (const [what, body, expected] of plain) {
    t.test(`${what} body is replayed to the second backend`, async () => {
      const [first, second] = await sendTwice({ method: "POST", body: body() });
      equal(text(second.body), expected);
      deepEqual([...second.body], [...first.body]);
      // What this runtime's own fetch would send for the body (Bun, unlike the spec, sets none for a string).
      const direct = new Request(API, { method: "POST", body: body() }).headers.get("content-type");
      equal(first.headers.get("content-type"), direct);
      equal(second.headers.get("content-type"), direct);
    });
  }

  t.test("a ReadableStream body is read once and replayed", async () => {
    const chunks = ["part one, ", "part two"];
    const [first, second] = await sendTwice(
      () =>
        ({
          method: "POST",
          body: new ReadableStream<Uint8Array>({
            pull(controller) {
              const chunk = chunks.shift();
              if (chunk === undefined) controller.close();
              else controller.enqueue(new TextEncoder().encode(chunk));
            },
          }),
          duplex: "half",
        }) as RequestInit,
    );
    equal(text(first.body), "part one, part two");
    equal(text(second.body), "part one, part two");
  });

  t.test("a FormData body with a file is replayed whole (multipart)", async () => {
    const form = new FormData();
    form.append("model", "whisper-1");
    form.append("file", new Blob([bytes], { type: "audio/wav" }), "speech.wav");
    const [first, second] = await sendTwice({ method: "POST", body: form });
    for (const got of [first, second]) {
      const contentType = got.headers.get("content-type") ?? "";
      ok(contentType.startsWith("multipart/form-data; boundary="), `multipart content-type, got ${contentType}`);
      const parsed = await new Response(got.body, { headers: { "content-type": contentType } }).formData();
      equal(parsed.get("model"), "whisper-1");
      const file = parsed.get("file");
      ok(file instanceof Blob, "the file part is a file");
      equal((file as File).name, "speech.wav");
      deepEqual([...new Uint8Array(await file.arrayBuffer())], [...bytes]);
    }
  });

  t.test("a Request with a body is replayed, with its method and headers", async () => {
    const request = new Request(API, { method: "PUT", body: "from a Request", headers: { "x-caller": "yes" } });
    const [first, second] = await sendTwice(undefined, request);
    for (const got of [first, second]) {
      equal(got.method, "PUT");
      equal(got.headers.get("x-caller"), "yes");
      equal(text(got.body), "from a Request");
    }
  });
}
