"""A contact's tasks through the write routes: create (listed at once), read, update, complete and
reopen, delete; refusals change nothing, and a task is reached only through its own contact."""

from __future__ import annotations

from typing import Any

from ghlsandbox import DEMO_USER_IDS, OTHER_LOCATION_ID, OTHER_USER_ID
from ghlsandbox.records import Contact

from tests.sandbox.kit import Ghl, demo_contacts, research_contact

NOT_A_USER = "assignedTo is not a user of this location"


def _without_tasks(sbx: Ghl, index: int = 0) -> Contact:
    data = sbx.sandbox.state.data
    return [c for c in demo_contacts(sbx) if not data.tasks_of(c.id)][index]


def _listed(sbx: Ghl, contact_id: str) -> list[dict[str, Any]]:
    response = sbx.get(f"/contacts/{contact_id}/tasks")
    assert response.status_code == 200, response.text
    tasks: list[dict[str, Any]] = response.json()["tasks"]
    return tasks


def _create(sbx: Ghl, contact_id: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "Send the proposal", "dueDate": "2030-01-15T15:00:00Z", "completed": False, **fields}
    response = sbx.post(f"/contacts/{contact_id}/tasks", json=body)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()["task"]
    return task


def test_a_created_task_is_listed_and_read_back(sbx: Ghl) -> None:
    contact = _without_tasks(sbx)
    count = len(sbx.sandbox.state.data.tasks)

    task = _create(sbx, contact.id, body="Include the discount.", assignedTo=DEMO_USER_IDS[1])

    assert task == {
        "id": task["id"],
        "title": "Send the proposal",
        "body": "Include the discount.",
        "dueDate": "2030-01-15T15:00:00.000Z",
        "completed": False,
        "contactId": contact.id,
        "assignedTo": DEMO_USER_IDS[1],
    }
    assert _listed(sbx, contact.id) == [task]
    assert sbx.get(f"/contacts/{contact.id}/tasks/{task['id']}").json() == {"task": task}
    assert len(sbx.sandbox.state.data.tasks) == count + 1, "exactly one task"
    assert sbx.http.get("/_sandbox/state").json()["counts"]["tasks"] == count + 1


def test_a_due_date_with_an_offset_is_stored_in_utc_and_listed_in_order(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    seeded = _listed(sbx, contact.id)

    task = _create(sbx, contact.id, dueDate="2020-01-01T10:00:00-06:00", completed=True)

    listed = _listed(sbx, contact.id)
    assert task["dueDate"] == "2020-01-01T16:00:00.000Z" and "assignedTo" not in task
    assert listed == [task, *seeded], "the earliest due date comes first"


def test_completing_and_reopening_a_task(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    task = next(t for t in _listed(sbx, contact.id) if not t["completed"])
    path = f"/contacts/{contact.id}/tasks/{task['id']}"

    done = sbx.put(f"{path}/completed", json={"completed": True})
    listed_done = next(t for t in _listed(sbx, contact.id) if t["id"] == task["id"])
    reopened = sbx.put(f"{path}/completed", json={"completed": False})
    listed_open = next(t for t in _listed(sbx, contact.id) if t["id"] == task["id"])

    assert done.status_code == reopened.status_code == 200
    assert done.json() == {"task": {**task, "completed": True}} and listed_done["completed"] is True
    assert reopened.json() == {"task": task} and listed_open["completed"] is False
    by_update = sbx.put(path, json={"completed": True})
    assert by_update.json()["task"]["completed"] is True and sbx.sandbox.state.data.tasks[task["id"]].completed


def test_an_update_changes_only_what_is_sent(sbx: Ghl) -> None:
    contact = _without_tasks(sbx, 1)
    task = _create(sbx, contact.id, body="Keep me", assignedTo=DEMO_USER_IDS[0])
    path = f"/contacts/{contact.id}/tasks/{task['id']}"

    retitled = sbx.put(path, json={"title": "Call back"}).json()["task"]
    moved = sbx.put(path, json={"dueDate": "2030-02-01T09:30:00+01:00", "assignedTo": ""}).json()["task"]

    assert retitled == {**task, "title": "Call back"}
    assert moved == {
        **{k: v for k, v in task.items() if k != "assignedTo"},
        "title": "Call back",
        "dueDate": "2030-02-01T08:30:00.000Z",
    }, "an empty assignedTo removes the owner"
    assert _listed(sbx, contact.id) == [moved]


def test_a_deleted_task_is_gone(sbx: Ghl) -> None:
    contact = _without_tasks(sbx, 2)
    keep, gone = _create(sbx, contact.id, title="Keep"), _create(sbx, contact.id, title="Delete me")
    path = f"/contacts/{contact.id}/tasks/{gone['id']}"

    deleted = sbx.delete(path)
    again = sbx.delete(path)
    read = sbx.get(path)

    assert (deleted.status_code, deleted.json()) == (200, {"succeded": True})
    assert _listed(sbx, contact.id) == [keep]
    assert gone["id"] not in sbx.sandbox.state.data.tasks
    for response in (again, read):
        assert (response.status_code, response.json()["message"]) == (400, "Task not found")


def test_refused_task_writes_change_nothing(sbx: Ghl) -> None:
    contact = research_contact(sbx)
    task = _listed(sbx, contact.id)[0]
    tasks, path = f"/contacts/{contact.id}/tasks", f"/contacts/{contact.id}/tasks/{task['id']}"
    good = {"title": "Fine", "dueDate": "2030-01-15T15:00:00Z", "completed": False}
    before = sbx.sandbox.state.snapshot()

    answers = [
        (sbx.post(tasks, json={"body": "no title"}), 422),
        (sbx.post(tasks, json={**good, "dueDate": "next Tuesday"}), 422),
        (sbx.post(tasks, json={**good, "dueDate": "2030-01-15T15:00:00"}), 422),
        (sbx.post(tasks, json={**good, "title": "   "}), 422),
        (sbx.post(tasks, json={**good, "completed": "no", "priority": "high"}), 422),
        (sbx.post(tasks, json={**good, "assignedTo": OTHER_USER_ID}), 400),
        (sbx.post(tasks, json={**good, "assignedTo": "x" * 20}), 400),
        (sbx.put(path, json={"title": "Renamed", "assignedTo": OTHER_USER_ID}), 400),
        (sbx.put(path, json={"title": "Renamed", "dueDate": "soon"}), 422),
        (sbx.put(f"{path}/completed", json={}), 422),
        (sbx.put(f"{path}/completed", json={"completed": "true"}), 422),
    ]

    assert [status for _, status in answers] == [response.status_code for response, _ in answers]
    messages = [response.json()["message"] for response, _ in answers]
    assert messages[0] == ["title should not be empty", "dueDate should not be empty", "completed should not be empty"]
    assert messages[1] == messages[2] == ["dueDate must be a valid ISO 8601 date string with a time zone offset"]
    assert messages[3] == ["title should not be empty"]
    assert messages[4] == ["property priority should not exist", "completed must be a boolean value"]
    assert messages[5] == messages[6] == messages[7] == NOT_A_USER
    assert messages[9] == ["completed should not be empty"] and messages[10] == ["completed must be a boolean value"]
    assert sbx.sandbox.state.snapshot() == before


def test_a_task_is_reached_only_through_its_own_contact(sbx: Ghl) -> None:
    owner, stranger = research_contact(sbx), _without_tasks(sbx)
    task_id = _listed(sbx, owner.id)[0]["id"]
    data = sbx.sandbox.state.data
    foreign = next(t for t in data.tasks.values() if t.location_id == OTHER_LOCATION_ID)
    before = sbx.sandbox.state.snapshot()

    through_stranger = [
        sbx.get(f"/contacts/{stranger.id}/tasks/{task_id}"),
        sbx.put(f"/contacts/{stranger.id}/tasks/{task_id}", json={"title": "Hijacked"}),
        sbx.put(f"/contacts/{stranger.id}/tasks/{task_id}/completed", json={"completed": True}),
        sbx.delete(f"/contacts/{stranger.id}/tasks/{task_id}"),
        sbx.get(f"/contacts/{owner.id}/tasks/{'x' * 20}"),
        sbx.get(f"/contacts/{owner.id}/tasks/{foreign.id}"),
    ]
    other_location = [
        sbx.get(f"/contacts/{foreign.contact_id}/tasks/{foreign.id}"),
        sbx.put(f"/contacts/{foreign.contact_id}/tasks/{foreign.id}/completed", json={"completed": True}),
        sbx.delete(f"/contacts/{foreign.contact_id}/tasks/{foreign.id}"),
        sbx.post(
            f"/contacts/{foreign.contact_id}/tasks",
            json={"title": "x", "dueDate": "2030-01-01T00:00:00Z", "completed": False},
        ),
    ]
    unknown_contact = sbx.post(
        f"/contacts/{'x' * 20}/tasks", json={"title": "x", "dueDate": "2030-01-01T00:00:00Z", "completed": False}
    )

    assert {(r.status_code, r.json()["message"]) for r in through_stranger} == {(400, "Task not found")}
    assert {(r.status_code, r.json()["message"]) for r in other_location} == {
        (403, "The token does not have access to this location.")
    }
    assert (unknown_contact.status_code, unknown_contact.json()["message"]) == (400, "Contact not found")
    assert sbx.sandbox.state.snapshot() == before
