"""The history secret check finds a secret wherever a workflow can put one: a small
workflow on the real Temporal dev server writes a distinct marker into every kind of
payload (workflow input and result, activity input and result, failure details through
a cause chain, heartbeat details of a pending and of a timed-out activity, memo, search
attributes, signal, update input, result and failure, user metadata); the check names
each one. Without a server: payloads behind a codec, failures with encoded attributes,
base64 copies of a secret, and the byte alignment that made a raw-JSON grep flaky."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
import zlib
from collections.abc import Sequence
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import (
    ActivityTaskFailedEventAttributes,
    ActivityTaskScheduledEventAttributes,
    HistoryEvent,
)
from temporalio.client import WorkflowHistory, WorkflowUpdateFailedError
from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.support.histories import (
    assert_no_secrets,
    decode_events,
    decoded_history,
    kubeconfig_tokens,
    secret_data_values,
)

RUN = uuid.uuid4().hex[:8]
# one marker per payload kind; none is a prefix of another
MARKERS = {
    kind: f"marker-{kind}-{RUN}-0123456789"
    for kind in (
        "workflow-input",
        "workflow-result",
        "activity-input",
        "activity-result",
        "failure-detail",
        "cause-detail",
        "failure-message",
        "pending-heartbeat",
        "timeout-heartbeat",
        "memo",
        "memo-upsert",
        "search-attribute",
        "search-upsert",
        "signal",
        "update-input",
        "update-result",
        "update-failure",
        "summary",
        "details",
        "activity-summary",
    )
}
CLUSTER_SA = SearchAttributeKey.for_keyword("EksaCluster")  # registered by the dev server fixture
PHASE_SA = SearchAttributeKey.for_keyword("EksaPhase")


@activity.defn(name="echo")
async def echo(value: str) -> str:
    assert value == MARKERS["activity-input"]
    return MARKERS["activity-result"]


@activity.defn(name="fail-with-cause")
async def fail_with_cause() -> None:
    try:
        raise ApplicationError("inner", MARKERS["cause-detail"], type="Inner")
    except ApplicationError as inner:
        raise ApplicationError(
            f"outer {MARKERS['failure-message']}",
            MARKERS["failure-detail"],
            type="Outer",
            non_retryable=True,
        ) from inner


DESCRIBED = asyncio.Event()  # set by the test once it has seen the pending heartbeat


@activity.defn(name="heartbeat-then-hang")
async def heartbeat_then_hang() -> None:
    activity.heartbeat(MARKERS["pending-heartbeat"])
    await asyncio.wait_for(DESCRIBED.wait(), 30)
    activity.heartbeat(MARKERS["timeout-heartbeat"])
    await asyncio.sleep(6)  # longer than the heartbeat timeout: the server times it out


@workflow.defn(name="LeakyWorkflow")
class LeakyWorkflow:
    def __init__(self) -> None:
        self.finished = False
        self.signalled = ""

    @workflow.run
    async def run(self, value: str) -> str:
        assert value == MARKERS["workflow-input"]
        once = RetryPolicy(maximum_attempts=1)
        limit = timedelta(seconds=20)
        await workflow.execute_activity(
            echo,
            MARKERS["activity-input"],
            summary=MARKERS["activity-summary"],
            start_to_close_timeout=limit,
            retry_policy=once,
        )
        with contextlib.suppress(ActivityError):
            await workflow.execute_activity(
                fail_with_cause, start_to_close_timeout=limit, retry_policy=once
            )
        with contextlib.suppress(ActivityError):
            await workflow.execute_activity(
                heartbeat_then_hang,
                heartbeat_timeout=timedelta(seconds=2),
                start_to_close_timeout=limit,
                retry_policy=once,
            )
        workflow.upsert_memo({"later": MARKERS["memo-upsert"]})
        workflow.upsert_search_attributes([PHASE_SA.value_set(MARKERS["search-upsert"])])
        await workflow.wait_condition(lambda: self.finished)
        return MARKERS["workflow-result"]

    @workflow.signal
    def poke(self, value: str) -> None:
        self.signalled = value

    @workflow.update
    def finish(self, value: str) -> str:
        self.finished = True
        return MARKERS["update-result"]

    @workflow.update
    def refuse(self, value: str) -> str:
        raise ApplicationError("refused", MARKERS["update-failure"])


@pytest.mark.anyio
async def test_a_secret_in_any_kind_of_payload_is_found(temporal_env: WorkflowEnvironment) -> None:
    client = temporal_env.client
    queue = f"histories-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[LeakyWorkflow],
        activities=[echo, fail_with_cause, heartbeat_then_hang],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(
            LeakyWorkflow.run,
            MARKERS["workflow-input"],
            id=f"leaky-{uuid.uuid4()}",
            task_queue=queue,
            memo={"note": MARKERS["memo"]},
            search_attributes=TypedSearchAttributes(
                [SearchAttributePair(CLUSTER_SA, MARKERS["search-attribute"])]
            ),
            static_summary=MARKERS["summary"],
            static_details=MARKERS["details"],
        )
        pending = None
        for _ in range(100):  # the pending activity's heartbeat, seen through describe()
            desc = await handle.describe()
            if (
                desc.raw_description.pending_activities
                and desc.raw_description.pending_activities[0].heartbeat_details.payloads
            ):
                pending = await decoded_history(client, handle.id)
                break
            await asyncio.sleep(0.05)
        assert pending is not None, "the heartbeat-then-hang activity never reported a heartbeat"
        assert any(
            w.startswith("describe.pending_activities")
            for w in pending.where(MARKERS["pending-heartbeat"])
        )
        DESCRIBED.set()
        await handle.signal(LeakyWorkflow.poke, MARKERS["signal"])
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(LeakyWorkflow.refuse, "no")
        assert str(refused.value.cause) == "refused"
        assert (
            await handle.execute_update(LeakyWorkflow.finish, MARKERS["update-input"])
            == MARKERS["update-result"]
        )
        assert await handle.result() == MARKERS["workflow-result"]

    dump = await decoded_history(client, handle.id)
    raw_json = (await handle.fetch_history()).to_json()
    expected = {  # marker -> the event (or description part) that must hold it
        "workflow-input": "WORKFLOW_EXECUTION_STARTED",
        "memo": "WORKFLOW_EXECUTION_STARTED",
        "search-attribute": "WORKFLOW_EXECUTION_STARTED",
        "summary": "WORKFLOW_EXECUTION_STARTED",
        "details": "WORKFLOW_EXECUTION_STARTED",
        "activity-input": "ACTIVITY_TASK_SCHEDULED",
        "activity-summary": "ACTIVITY_TASK_SCHEDULED",
        "activity-result": "ACTIVITY_TASK_COMPLETED",
        "failure-detail": "ACTIVITY_TASK_FAILED",
        "cause-detail": "ACTIVITY_TASK_FAILED",
        "failure-message": "ACTIVITY_TASK_FAILED",
        "timeout-heartbeat": "ACTIVITY_TASK_TIMED_OUT",
        "memo-upsert": "WORKFLOW_PROPERTIES_MODIFIED",
        "search-upsert": "UPSERT_WORKFLOW_SEARCH_ATTRIBUTES",
        "signal": "WORKFLOW_EXECUTION_SIGNALED",
        "update-input": "WORKFLOW_EXECUTION_UPDATE_ACCEPTED",
        "update-result": "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
        "update-failure": "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
        "workflow-result": "WORKFLOW_EXECUTION_COMPLETED",
    }
    assert set(expected) | {"pending-heartbeat"} == set(MARKERS)
    for kind, event in expected.items():
        places = dump.where(MARKERS[kind])
        assert any(f" {event} " in p for p in places), (kind, places)
        with pytest.raises(AssertionError, match=f"{kind} leaked into"):
            assert_no_secrets(dump, {kind: MARKERS[kind]})
        if kind != "failure-message":  # a plain string field; all others are payloads
            assert MARKERS[kind] not in raw_json, f"{kind} is readable without decoding"
    # the current memo and search attributes come from describe() too
    assert any(p.startswith("describe.") for p in dump.where(MARKERS["memo-upsert"]))
    assert_no_secrets(dump, {"absent": f"never-written-{uuid.uuid4()}"})


def event(payload: Payload) -> HistoryEvent:
    return HistoryEvent(
        event_id=5,
        event_type=EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        activity_task_scheduled_event_attributes=ActivityTaskScheduledEventAttributes(
            input=Payloads(payloads=[payload])
        ),
    )


class ZlibCodec(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(
                metadata={"encoding": b"binary/zlib"}, data=zlib.compress(p.SerializeToString())
            )
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            inner = Payload()
            inner.ParseFromString(zlib.decompress(p.data))
            out.append(inner)
        return out


@pytest.mark.anyio
async def test_payloads_behind_a_codec_are_decoded_with_the_clients_codec() -> None:
    secret = f"codec-secret-{uuid.uuid4()}"
    converter = DataConverter(payload_codec=ZlibCodec())
    (payload,) = await converter.encode([{"token": secret}])
    assert secret.encode() not in payload.data
    dump = await decode_events([event(payload)], converter)
    with pytest.raises(AssertionError, match="ACTIVITY_TASK_SCHEDULED"):
        assert_no_secrets(dump, {"token": secret})


@pytest.mark.anyio
async def test_a_failure_with_encoded_attributes_is_decoded_through_its_causes() -> None:
    secret = f"failure-secret-{uuid.uuid4()}"
    converter = DataConverter(failure_converter_class=DefaultFailureConverterWithEncodedAttributes)
    try:
        try:
            raise ValueError(f"inner {secret}")
        except ValueError as inner:
            raise ApplicationError("outer") from inner
    except ApplicationError as exc:
        failure = Failure()
        await converter.encode_failure(exc, failure)
    assert secret not in failure.cause.message  # moved into the encoded attributes payload
    ev = HistoryEvent(
        event_id=7,
        event_type=EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
        activity_task_failed_event_attributes=ActivityTaskFailedEventAttributes(failure=failure),
    )
    dump = await decode_events([ev], converter)
    assert any(".failure.cause.encoded_attributes" in p for p in dump.where(secret))


@pytest.mark.anyio
@pytest.mark.parametrize("prefix", ["", "a", "ab"])
async def test_a_base64_copy_of_a_secret_is_found_at_any_alignment(prefix: str) -> None:
    token = f"tok-{uuid.uuid4().hex}"
    kubeconfig = f"{prefix}users:\n- name: admin\n  user:\n    token: {token}\n"
    secret_object = {
        "metadata": {"name": "demo-kubeconfig"},
        "data": {"value": base64.b64encode(kubeconfig.encode()).decode()},
    }
    (payload,) = await pydantic_data_converter.encode([secret_object])
    dump = await decode_events([event(payload)], pydantic_data_converter)
    with pytest.raises(AssertionError, match="token leaked"):
        assert_no_secrets(dump, {"token": token})


@pytest.mark.anyio
async def test_words_in_the_payloads_never_match_at_any_byte_alignment() -> None:
    # the raw JSON of a history holds payloads as base64: "bootstrap" becomes
    # "Ym9vdHN0cmFw" only when it starts on a 3-byte boundary, i.e. depending on the
    # length of the paths before it; the decoded text never holds base64 of its own words
    raw_hits = 0
    for pad in range(3):
        inp = {
            "workdir": "/tmp/" + "x" * pad,
            "bootstrap_kubeconfig": "/tmp/b/bootstrap.kubeconfig",
        }
        (payload,) = await pydantic_data_converter.encode([inp])
        history = WorkflowHistory("wf", [event(payload)])
        raw_hits += "Ym9vdHN0cmFw" in history.to_json()
        dump = await decode_events(history.events, pydantic_data_converter)
        assert "Ym9vdHN0cmFw" not in dump.text
        assert dump.payloads == [inp]
        assert_no_secrets(dump, {"token": f"tok-{uuid.uuid4().hex}"})
    assert raw_hits >= 1  # the raw JSON did match for some alignment


def test_short_or_missing_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        assert_no_secrets("bootstrap", {"word": "bootstrap"})
    with pytest.raises(AssertionError, match="no secret values"):
        assert_no_secrets("text", {})


def test_secret_readers_take_values_from_their_sources(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "c.kubeconfig"
    token = f"tok-{uuid.uuid4().hex}"
    path.write_text(f"users:\n- name: admin\n  user:\n    token: {token}\n")
    assert list(kubeconfig_tokens([path]).values()) == [token]
    data = base64.b64encode(b"machine-bootstrap-data-1234").decode()
    values = secret_data_values([{"metadata": {"name": "m"}, "data": {"value": data}}])
    assert sorted(values.values()) == sorted([data, "machine-bootstrap-data-1234"])
