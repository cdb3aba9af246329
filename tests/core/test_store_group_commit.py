"""Group commits on both backends: callers recording at once share one transaction, and each still gets the id
of its own incident, whether every message in the batch is new or some were recorded before."""

from __future__ import annotations

import asyncio

from bot.store import Store
from tests.core.test_store_methods import new


async def _check_ids(store: Store, results: list[tuple[int, bool]], messages: list[str]) -> None:
    """Each caller's id is the incident of the message it recorded."""
    for (incident_id, _), message_id in zip(results, messages, strict=True):
        found = await store.get_incident(incident_id)
        assert found is not None and found.message_id == message_id, (incident_id, message_id)


async def test_each_caller_in_a_group_commit_gets_its_own_incidents_id(store: Store) -> None:
    await store.record_incident(new("before", author="someone-else"))  # ids do not start at 1
    messages = [f"crowd{n}" for n in range(60)]
    results = await asyncio.gather(*(store.record_incident(new(m, author=f"u{n}")) for n, m in enumerate(messages)))
    assert all(created for _, created in results) and len({i for i, _ in results}) == 60
    await _check_ids(store, results, messages)
    assert await store.count_incidents() == 61


async def test_a_group_commit_of_new_and_recorded_messages_answers_each_with_its_own_id(store: Store) -> None:
    earlier = {f"m{n}": await store.record_incident(new(f"m{n}")) for n in range(10)}
    messages = [f"m{n}" for n in range(5, 25)]  # m5-m9 recorded above, m10-m24 new
    results = await asyncio.gather(*(store.record_incident(new(m)) for m in messages))
    for message_id, (incident_id, created) in zip(messages, results, strict=True):
        if message_id in earlier:
            assert (incident_id, created) == (earlier[message_id][0], False)
        else:
            assert created
    await _check_ids(store, results, messages)
    assert await store.count_incidents() == 25


async def test_two_processes_recording_at_once_each_answer_their_callers_with_their_own_ids(store: Store) -> None:
    other = await Store.open(store.target)  # a second process on the same database
    try:
        mine = [f"a{n}" for n in range(40)] + [f"both{n}" for n in range(10)]
        theirs = [f"b{n}" for n in range(40)] + [f"both{n}" for n in range(10)]
        results = await asyncio.gather(asyncio.gather(*(store.record_incident(new(m)) for m in mine)),
                                       asyncio.gather(*(other.record_incident(new(m)) for m in theirs)))
        await _check_ids(store, list(results[0]), mine)
        await _check_ids(other, list(results[1]), theirs)
        shared = [r for r, m in zip(results[0] + results[1], mine + theirs, strict=True) if m.startswith("both")]
        assert sum(created for _, created in shared) == 10  # each shared message made once, by one of the two
        assert await store.count_incidents() == 90
    finally:
        await other.close()
