/** What an attempt's URL says in the terms of the OpenTelemetry GenAI semantic conventions. */
export interface GenAiCall {
  /** `gen_ai.operation.name`: `chat`, `text_completion`, `embeddings`, or the path's last segment. */
  readonly operation: string;
  /** `gen_ai.request.model`: the Azure deployment in the path, or the event's deployment; `undefined` when neither says. */
  readonly model: string | undefined;
  /** `gen_ai.provider.name`. */
  readonly provider: string;
  /** `server.address` and `server.port`. */
  readonly address: string;
  readonly port: number;
}

const OPERATIONS: ReadonlyArray<[RegExp, string]> = [
  [/\/chat\/completions$/, "chat"],
  [/\/responses$/, "chat"],
  [/\/completions$/, "text_completion"],
  [/\/embeddings$/, "embeddings"],
];

const AZURE_DEPLOYMENT = /\/openai\/deployments\/([^/]+)\//;

/**
 * Reads the GenAI attributes from the attempt's URL (no body is parsed: the model of a
 * model-in-body API is known only when the event carries it as `deployment`).
 */
export function genAiCall(url: string, deployment: string | null, kind: string | null): GenAiCall {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/\/+$/, "");
  const operation = OPERATIONS.find(([pattern]) => pattern.test(path))?.[1] ?? path.slice(path.lastIndexOf("/") + 1);
  const fromPath = AZURE_DEPLOYMENT.exec(path)?.[1];
  const azure = kind === "azure" || parsed.hostname.endsWith(".openai.azure.com") || fromPath !== undefined;
  const provider = azure
    ? "azure.ai.openai"
    : kind === "openai" || parsed.hostname === "api.openai.com"
      ? "openai"
      : (kind ?? "openai");
  const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
  return {
    operation,
    model: deployment ?? (fromPath === undefined ? undefined : decodeURIComponent(fromPath)),
    provider,
    address: parsed.hostname,
    port,
  };
}
