// A toolkit front end's use of the API, through a client generated from docs/openapi.json
// (openapi-typescript → build/schema.d.ts, openapi-fetch). `tsc --strict` must accept it, and each
// `@ts-expect-error` must be an error: the document is as precise as these lines claim.
import createClient from "openapi-fetch";
import type { components, operations, paths } from "./build/schema";

type Schemas = components["schemas"];
type Opportunity = Schemas["Opportunity"];
type OpportunityStatus = NonNullable<Opportunity["status"]>;

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:3000", headers: { Authorization: "Bearer jwt" } });

function statusLabel(status: OpportunityStatus): string {
  switch (status) {
    case "open":
      return "Open";
    case "won":
      return "Won";
    case "lost":
      return "Lost";
    case "abandoned":
      return "Abandoned";
    default: {
      const never: never = status; // the enum is closed: every value is handled above
      return never;
    }
  }
}

export async function firstPage(locationId: string): Promise<string | null> {
  const { data, error } = await api.GET("/locations/{locationId}/opportunities", {
    params: { path: { locationId }, query: { status: "open", limit: 20 } },
  });
  if (error) {
    const code: "invalid_request" | "invalid_cursor" | string = error.error.code;
    if (error.error.code === "invalid_request") {
      const problems: Schemas["FieldProblem"][] = error.error.details; // always there for this code
      return problems.map((p) => `${p.in}:${p.field ?? "body"} ${p.message}`).join("; ") + code;
    }
    return null;
  }
  for (const item of data.items) {
    const id: string = item.id;
    const stage: string | null = item.stageName; // required, nullable
    if (item.status !== null) statusLabel(item.status);
    // @ts-expect-error a status is one of the four, not any string
    const bogus: Opportunity["status"] = "archived";
    void [id, stage, bogus];
  }
  const next: string | null = data.nextCursor; // required on every page
  return next;
}

export async function moveStage(locationId: string, opportunityId: string): Promise<void> {
  const { data, error, response } = await api.PUT("/locations/{locationId}/opportunities/{opportunityId}/stage", {
    params: { path: { locationId, opportunityId } },
    body: { pipelineStageId: "3f1c-stage", pipelineId: "pipe1" },
  });
  if (error) {
    if (error.error.code === "reauthorization_required") {
      const reason: string | null = error.error.details.reason;
      const authorize: "GET /oauth/authorize" | undefined = error.error.details.authorize;
      void [reason, authorize];
    } else if (error.error.code === "ghl_error") {
      const status: number | undefined = error.error.details?.ghlStatus;
      void status;
    }
    void response.status;
    return;
  }
  const moved: Opportunity = data;
  void moved.pipelineStageId;
}

export async function logCall(locationId: string, contactId: string): Promise<void> {
  const { data, error } = await api.POST("/locations/{locationId}/contacts/{contactId}/calls", {
    params: { path: { locationId, contactId }, header: { "Idempotency-Key": crypto.randomUUID() } },
    body: { outcome: "no-answer", summary: "Left a voicemail", direction: "outbound" },
  });
  if (error) {
    if (error.error.code === "outcome_unknown") void error.error.details?.ghlTraceId;
    return;
  }
  const logged: "logged" | "skipped" | "failed" | "unknown" = data.callMessage.status;
  void [logged, data.note.id];
}

export async function sendEmail(locationId: string, contactId: string): Promise<string | undefined> {
  const { data } = await api.POST("/locations/{locationId}/contacts/{contactId}/emails", {
    params: { path: { locationId, contactId }, header: { "Idempotency-Key": "k-1" } },
    body: { subject: "Hello", html: "<p>Hi</p>", cc: ["a@example.com"] },
  });
  return data?.messageId;
}

export async function team(locationId: string): Promise<void> {
  const { data } = await api.GET("/locations/{locationId}/members", { params: { path: { locationId } } });
  for (const member of data?.items ?? []) {
    const role: "owner" | "member" = member.role;
    void role;
  }
  const { data: locations } = await api.GET("/locations");
  const status: "connected" | "needs_reauth" | "uninstalled" | undefined = locations?.items[0]?.status;
  const none: string | null | undefined = locations?.nextCursor;
  void [status, none];
}

// Operation ids name the operations of the generated types.
type Slots = operations["getFreeSlots"]["responses"][200]["content"]["application/json"];
export const slotsOf = (answer: Slots): string[] => answer.slots;

// @ts-expect-error a body field the document does not have is refused
export const wrongBody: Schemas["NoteCreate"] = { body: "x", unknown: 1 };
