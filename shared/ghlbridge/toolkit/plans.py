"""The outreach plan written back: one note (the summary and the steps), one GHL task per step, and
the insights into the contact's custom fields, each exactly once whatever the retries.

How "exactly once" holds, part by part:

- The plan runs under the request's Idempotency-Key (`IdempotentWrite`): a complete plan's answer
  is kept and replayed (GHL is not called again); the same key with another plan is a 422; a
  duplicate while one runs is a 409.
- Every note and task the plan writes carries its mark, `Outreach plan <ref>` (and `step i of n`),
  where `ref` is derived from the caller, location and key. Before writing, the plan reads the
  contact's notes and tasks and takes as done every part whose mark is already there. So a part
  GHL did although its answer was lost (a timeout or 5xx after the work) is found, not written again.
- The insights are a PUT of values: setting them again is harmless.
- When a part fails, the answer is **207** with every part's status (`done`/`failed` and the
  error); it is NOT kept under the key, so sending the same request with the same key again writes
  only what is missing and answers the whole plan (201 once complete).

Nothing is written before the checks: the opportunity must be the location's (404), the insights
must suit their fields (400), the assignee (the caller's linked GHL user) is used when there is one.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Final

from ghlbridge.errors import RequestInvalidError, field_problem
from ghlbridge.idempotency.writes import IdempotentWrite
from ghlbridge.settings import get_settings
from ghlbridge.toolkit import custom_fields
from ghlbridge.toolkit.access import LocationClients, open_location, opportunity_in_location
from ghlbridge.toolkit.context import RequestContext, WriteAnswer
from ghlbridge.toolkit.fanout import Fanout, failure_of
from ghlbridge.toolkit.ghl_users import user_names
from ghlbridge.toolkit.models.contacts import Note
from ghlbridge.toolkit.models.plans import (
    OutreachPlanCreate,
    OutreachPlanResult,
    PlanInsights,
    PlanNote,
    PlanStep,
    PlanTask,
)
from ghlbridge.toolkit.models.tasks import Task

if TYPE_CHECKING:
    from ghlbridge import ghl

_WRITE_PLAN = IdempotentWrite("outreach.plan")
PARTIAL_STATUS: Final = 207


class _Incomplete(Exception):
    """A part failed: the answer is given but not kept under the key (a retry finishes the plan)."""

    def __init__(self, answer: WriteAnswer) -> None:
        super().__init__("outreach plan incomplete")
        self.answer = answer


def write_plan(ctx: RequestContext, location_id: str, opportunity_id: str, plan: OutreachPlanCreate) -> WriteAnswer:
    """`POST /locations/{locationId}/opportunities/{opportunityId}/outreach-plan`."""
    clients = open_location(ctx.caller, location_id)
    ref = plan_ref(ctx, location_id)

    def send() -> WriteAnswer:
        # The checks run under the key: a replayed plan answers from its record without asking GHL.
        found = opportunity_in_location(clients, opportunity_id)
        contact_id = found.contactId
        if not contact_id:
            message = "The opportunity has no contact to write the plan to"
            raise RequestInvalidError(message, details=[field_problem("path", "opportunityId", "no_contact", message)])
        insights = custom_fields.resolve(clients, plan.insights) if plan.insights else []
        answer = _write(clients, contact_id, plan, insights, ref, ctx.success_status)
        if answer.status != ctx.success_status:
            raise _Incomplete(answer)  # the key's record goes: the next attempt finishes what is missing
        return answer

    request = {"opportunityId": opportunity_id, "body": plan.model_dump(mode="json", by_alias=True)}
    try:
        return _WRITE_PLAN.run(ctx, location_id=location_id, request=request, send=send)
    except _Incomplete as incomplete:
        return incomplete.answer


def plan_ref(ctx: RequestContext, location_id: str) -> str:
    """The plan's mark: the same for every attempt with this key, by this caller, on this location."""
    seed = f"{ctx.caller.user_id}|{location_id}|{ctx.idempotency_key}".encode()
    return hashlib.sha256(seed).hexdigest()[:10]


def note_body(plan: OutreachPlanCreate, ref: str) -> str:
    lines = [plan.summary.strip(), "", "Steps:"]
    for n, step in enumerate(plan.steps, 1):
        channel = f" [{step.channel}]" if step.channel else ""
        lines.append(f"{n}. {_day(step.due_at)}{channel}: {step.title}")
    lines += ["", f"Outreach plan {ref}"]
    return "\n".join(lines)


def step_mark(ref: str, index: int, total: int) -> str:
    return f"Outreach plan {ref}, step {index + 1} of {total}"


def task_body(step: PlanStep, mark: str) -> str:
    line = f"{mark} ({step.channel})" if step.channel else mark
    return f"{step.body.strip()}\n\n{line}" if step.body and step.body.strip() else line


def _write(
    clients: LocationClients,
    contact_id: str,
    plan: OutreachPlanCreate,
    insights: list[ghl.CustomFieldWrite],
    ref: str,
    success: int,
) -> WriteAnswer:
    total = len(plan.steps)
    marks = [step_mark(ref, i, total) for i in range(total)]
    note_text = note_body(plan, ref)
    with Fanout(get_settings().ghl_fanout_limit) as run:
        existing_notes = run.submit(clients.contacts.notes, contact_id)
        existing_tasks = run.submit(clients.contacts.tasks, contact_id)
        fields = run.submit(clients.contacts.update_custom_fields, contact_id, insights) if insights else None
        note_done = _mine_note(existing_notes.result(), ref)
        tasks_done = _mine_tasks(existing_tasks.result(), marks)
        note = None if note_done else run.submit(_create_note, clients, contact_id, note_text)
        created = {
            i: run.submit(
                clients.contacts.create_task,
                contact_id,
                title=step.title,
                body=task_body(step, marks[i]),
                due_date=step.due_at,
                assigned_to=clients.ghl_user_id,
            )
            for i, step in enumerate(plan.steps)
            if i not in tasks_done
        }
        names = user_names(clients)
        note_part = _note_part(note_done, note)
        task_parts = [_task_part(i, tasks_done.get(i), created.get(i), names) for i in range(total)]
        insight_part = _insights_part(fields, clients)
    result = OutreachPlanResult(
        complete=note_part.status == "done"
        and all(part.status == "done" for part in task_parts)
        and insight_part.status in ("done", "none"),
        plan_ref=ref,
        note=note_part,
        tasks=task_parts,
        insights=insight_part,
    )
    return WriteAnswer(success if result.complete else PARTIAL_STATUS, result.model_dump(mode="json"))


def _create_note(clients: LocationClients, contact_id: str, body: str) -> ghl.Note:
    return clients.contacts.create_note(contact_id, body=body, title="Outreach plan", user_id=clients.ghl_user_id)


def _mine_note(notes: list[ghl.Note], ref: str) -> ghl.Note | None:
    mark = f"Outreach plan {ref}"
    return next((n for n in notes if (n.body or "").rstrip().endswith(mark)), None)


def _mine_tasks(tasks: list[ghl.Task], marks: list[str]) -> dict[int, ghl.Task]:
    """Step index → the task already in GHL that carries that step's mark."""
    found = {}
    for i, mark in enumerate(marks):
        match = next((t for t in tasks if _marked(t, mark)), None)
        if match is not None:
            found[i] = match
    return found


def _marked(item: ghl.Task, mark: str) -> bool:
    last = (item.body or "").rstrip().rsplit("\n", 1)[-1]
    return last == mark or last.startswith(f"{mark} (")


def _note_part(done: ghl.Note | None, created: Future[ghl.Note] | None) -> PlanNote:
    if done is not None:
        return PlanNote(status="done", note=Note.from_ghl(done))
    assert created is not None
    try:
        return PlanNote(status="done", note=Note.from_ghl(created.result()))
    except Exception as exc:  # reported, not hidden; a retry with the same key tries again
        return PlanNote(status="failed", error=failure_of(exc))


def _task_part(
    index: int, done: ghl.Task | None, created: Future[ghl.Task] | None, names: dict[str, str | None]
) -> PlanTask:
    if done is not None:
        return PlanTask(step=index, status="done", task=Task.from_ghl(done, names))
    assert created is not None
    try:
        return PlanTask(step=index, status="done", task=Task.from_ghl(created.result(), names))
    except Exception as exc:
        return PlanTask(step=index, status="failed", error=failure_of(exc))


def _insights_part(fields: Future[ghl.Contact] | None, clients: LocationClients) -> PlanInsights:
    if fields is None:
        return PlanInsights(status="none")
    try:
        contact = fields.result()
    except Exception as exc:
        return PlanInsights(status="failed", error=failure_of(exc))
    return PlanInsights(status="done", custom_fields=custom_fields.named(contact, custom_fields.definitions(clients)))


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()
