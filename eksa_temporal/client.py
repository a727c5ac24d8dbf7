"""Python API of the lifecycle for the CLI and other services: connect to Temporal with the
standard env/profile configuration (``temporalio.envconfig``: address, namespace, TLS, API
key) and the pydantic data converter, then start, describe, list, cancel, retry and abort
cluster operations with typed models.

Every operation on a cluster runs as workflow ``eksa/<namespace>/<name>``: a second
operation while one runs is refused (``OperationAlreadyRunning`` names the running one);
a new one may start once the previous closed. A create of a cluster that already exists is
refused at submission as far as this process can see it (``ClusterExists``: the same check
as the workflow's ``setup-validate``, plus operations on a cluster of the same name in
another namespace); the workflow's check stays the authority. Anywhere an id is taken, a cluster name
(``demo`` or ``ns/demo``) means that cluster's latest operation.

    lc = await LifecycleClient.connect()
    ref = await lc.start_create(create_input("demo.yaml"))
    print((await lc.status(ref.workflow_id)).state)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.failure.v1 import Failure
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfig
from temporalio.exceptions import CancelledError, FailureError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from eksa_temporal import codec, config
from eksa_temporal.spec import proxy
from eksa_temporal.spec.digest import spec_text_digest
from eksa_temporal.workflows.create import CreateClusterWorkflow
from eksa_temporal.workflows.delete import DeleteClusterWorkflow
from eksa_temporal.workflows.facts import ClusterFacts, SpecError, cluster_facts, workflow_id
from eksa_temporal.workflows.models import (
    CREATE,
    DELETE,
    UPGRADE,
    CreateClusterInput,
    CreateClusterResult,
    DeleteClusterInput,
    DeleteClusterResult,
    OperationInput,
    OperationProgress,
    OperatorReply,
    OperatorRequest,
    Phase,
    UpgradeClusterInput,
    UpgradeClusterResult,
)
from eksa_temporal.workflows.runner import EKSA_CLUSTER, EKSA_OPERATION, EKSA_PHASE, EKSA_PROVIDER
from eksa_temporal.workflows.upgrade import UpgradeClusterWorkflow

if TYPE_CHECKING:
    from eksa_temporal.providers.registry import Registry

_RESULTS: dict[str, type] = {
    "CreateClusterWorkflow": CreateClusterResult,
    "UpgradeClusterWorkflow": UpgradeClusterResult,
    "DeleteClusterWorkflow": DeleteClusterResult,
}
UI_URL_ENV = "EKSA_TEMPORAL_UI_URL"
# memo of every operation: the desired-state digest of its spec and who started it
MEMO_DIGEST = "eksa_spec_digest"
MEMO_ORIGIN = "eksa_origin"
STATES = ("running", "awaiting-operator", "completed", "failed", "cancelled")
_OPERATIONS = {"CreateClusterWorkflow": CREATE, "UpgradeClusterWorkflow": UPGRADE, "DeleteClusterWorkflow": DELETE}
_WORKFLOWS: dict[str, Any] = {
    CREATE: CreateClusterWorkflow.run,
    UPGRADE: UpgradeClusterWorkflow.run,
    DELETE: DeleteClusterWorkflow.run,
}


class LifecycleError(Exception):
    """A lifecycle request could not be done; the message is one actionable line."""


class OperationAlreadyRunning(LifecycleError):
    pass


class ClusterExists(LifecycleError):
    """A create names a cluster that already exists (the line says where and what to do)."""


class TemporalUnavailable(LifecycleError):
    """Temporal cannot be reached, or refused the client (address, TLS, credentials)."""


_SEARCH_ATTRIBUTES = ", ".join(k.name for k in (EKSA_CLUSTER, EKSA_OPERATION, EKSA_PROVIDER, EKSA_PHASE))


def unreachable(target: str) -> TemporalUnavailable:
    return TemporalUnavailable(
        f"cannot reach Temporal at {target} (fix: run eksa-temporal dev, or set TEMPORAL_ADDRESS)"
    )


def rpc_problem(exc: RPCError, target: str, namespace: str) -> LifecycleError | None:
    """The one-line reason of an RPC failure that is not about the operation itself (the
    server is unreachable or refuses us, the namespace or the search attributes are
    missing), without the transport library's internals; None for any other failure."""
    text = exc.message.lower()
    if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.CANCELLED):
        return unreachable(target)
    if exc.status == RPCStatusCode.DEADLINE_EXCEEDED:
        return TemporalUnavailable(
            f"Temporal at {target} did not answer in time (fix: check that the server is healthy, then run the command again)"
        )
    if exc.status in (RPCStatusCode.UNAUTHENTICATED, RPCStatusCode.PERMISSION_DENIED):
        return TemporalUnavailable(
            f"Temporal at {target} refused this client in namespace {namespace} "
            "(fix: set TEMPORAL_API_KEY or TEMPORAL_TLS_* for this server, or pick another TEMPORAL_PROFILE)"
        )
    if exc.status == RPCStatusCode.NOT_FOUND and "namespace" in text:
        return LifecycleError(
            f"namespace {namespace} does not exist on Temporal at {target} "
            f"(fix: temporal operator namespace create --namespace {namespace}, or set TEMPORAL_NAMESPACE)"
        )
    if exc.status == RPCStatusCode.INVALID_ARGUMENT and "search attribute" in text:
        return LifecycleError(
            f"the search attributes {_SEARCH_ATTRIBUTES} are not registered in namespace {namespace} on "
            f"Temporal at {target} (fix: temporal operator search-attribute create --namespace {namespace} "
            "--name <each> --type Keyword; eksa-temporal dev registers them)"
        )
    return None


class OperationRef(BaseModel):
    workflow_id: str
    run_id: str | None = None
    operation: str
    cluster: str
    ui_url: str


class OperationStatus(BaseModel):
    workflow_id: str
    run_id: str | None = None
    operation: str = ""
    cluster: str = ""
    provider: str = ""
    state: str = Field(description="running, awaiting-operator, completed, failed or cancelled")
    phase: str = ""
    started_at: datetime | None = None
    closed_at: datetime | None = None
    error: str | None = None
    progress: OperationProgress | None = None
    pending: list[dict[str, Any]] = Field(default_factory=list, description="pending activities: step, attempt, last failure, heartbeat")
    ui_url: str = ""


class LastOperation(BaseModel):
    """The latest operation of one cluster, as a controller needs it to decide what to do
    (``LifecycleClient.last_operation``)."""

    model_config = ConfigDict(frozen=True)

    workflow_id: str
    run_id: str | None = None
    operation: str = Field(description="create, upgrade or delete")
    state: str = Field(description="running, awaiting-operator, completed, failed or cancelled")
    spec_digest: str | None = Field(default=None, description="desired-state digest of the operation's spec (memo)")
    origin: str | None = Field(default=None, description="cli or controller (memo); None for operations started before it was recorded")
    current_step: str | None = Field(default=None, description="the step running now (running operations)")
    error: str | None = Field(default=None, description="the failure line (failed operations)")
    started_at: datetime | None = None
    closed_at: datetime | None = None
    ui_url: str = ""


def operation_memo(inp: OperationInput) -> dict[str, str]:
    """The memo of an operation: its spec's digest (never the spec) and its origin."""
    memo = {MEMO_ORIGIN: inp.origin}
    digest = spec_text_digest(inp.spec_yaml)
    if digest is not None:
        memo[MEMO_DIGEST] = digest
    return memo


def ui_url(wf_id: str, namespace: str = "default") -> str:
    """The Web UI page of a workflow (``EKSA_TEMPORAL_UI_URL`` overrides the base)."""
    base = os.environ.get(UI_URL_ENV, f"http://127.0.0.1:{config.DEFAULT_UI_PORT}").rstrip("/")
    return f"{base}/namespaces/{namespace}/workflows/{quote(wf_id, safe='')}"


def resolve_id(id_or_name: str) -> str:
    """``eksa/ns/demo`` stays; ``ns/demo`` and ``demo`` (namespace default) become ids."""
    if id_or_name.startswith("eksa/"):
        return id_or_name
    if "/" in id_or_name:
        ns, name = id_or_name.split("/", 1)
        return workflow_id(ns, name)
    return workflow_id("default", id_or_name)


def refuse_secrets(inp: OperationInput) -> None:
    """Refuse an input whose spec still carries a proxy password (``operation_input``
    takes it out): it would be stored in the workflow history in clear."""
    try:
        _, passwords = proxy.split_credentials(inp.spec_yaml)
    except proxy.ProxyCredentialsError as exc:
        raise LifecycleError(str(exc)) from exc
    if passwords:
        raise LifecycleError(
            "the spec carries a proxy password, which would be stored in the workflow history "
            "(fix: build the input with eksa_temporal.client.operation_input)"
        )


def _stored_credentials(path: Path) -> dict[str, str] | None:
    """The passwords in ``path``; None when there is no such file."""
    if not path.exists():
        return None
    try:
        return proxy.read_credentials(path)
    except proxy.ProxyCredentialsError:
        return {}


def refuse_other_credentials(path: Path, passwords: Mapping[str, str], facts: ClusterFacts) -> None:
    """``ClusterExists`` when ``path`` already holds other proxy passwords: they belong to a
    cluster this create does not own, and are never replaced."""
    stored = _stored_credentials(path)
    if stored is not None and stored != dict(passwords):
        raise ClusterExists(
            f"cluster {facts.namespace}/{facts.name}: {path} holds other proxy credentials (fix: remove it "
            "if no cluster uses it, or choose another name or output folder)"
        )


def facts_of(inp: OperationInput) -> ClusterFacts:
    try:
        return cluster_facts(inp.spec_yaml)
    except SpecError as exc:
        raise LifecycleError(str(exc)) from exc


def _state(status: WorkflowExecutionStatus | None, phase: str) -> str:
    if status == WorkflowExecutionStatus.RUNNING:
        return Phase.AWAITING_OPERATOR.value if phase == Phase.AWAITING_OPERATOR.value else "running"
    if status == WorkflowExecutionStatus.COMPLETED:
        return "completed"
    if status == WorkflowExecutionStatus.CANCELED:
        return "cancelled"
    return "failed"


class LifecycleClient:
    """Typed operations on cluster lifecycles over one Temporal client."""

    def __init__(
        self,
        client: Client,
        task_queue: str | None = None,
        *,
        task_timeout: timedelta | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.client = client
        # providers the create check at submission asks (default: this process's config)
        self.registry = registry
        self.task_queue = task_queue or config.task_queue()
        # workflow task timeout (server default 10 s): how soon a crashed worker's workflow
        # task is handed to another worker
        self.task_timeout = task_timeout

    @classmethod
    async def connect(cls, profile: str | None = None, task_queue: str | None = None) -> LifecycleClient:
        return cls(await connect(profile), task_queue)

    def _problem(self, exc: RPCError) -> LifecycleError | None:
        """``rpc_problem`` for this client's server and namespace."""
        return rpc_problem(exc, self.client.service_client.config.target_host, self.client.namespace)

    # -- start ------------------------------------------------------------------------
    async def start_create(self, inp: CreateClusterInput, proxy_passwords: Mapping[str, str] | None = None) -> OperationRef:
        return await self.start(CREATE, inp, proxy_passwords)

    async def start_upgrade(self, inp: UpgradeClusterInput, proxy_passwords: Mapping[str, str] | None = None) -> OperationRef:
        return await self.start(UPGRADE, inp, proxy_passwords)

    async def start_delete(self, inp: DeleteClusterInput, proxy_passwords: Mapping[str, str] | None = None) -> OperationRef:
        return await self.start(DELETE, inp, proxy_passwords)

    async def start(
        self, operation: str, inp: OperationInput, proxy_passwords: Mapping[str, str] | None = None
    ) -> OperationRef:
        """Start ``operation`` (create, upgrade, delete) of the cluster in ``inp``.

        ``proxy_passwords`` (from ``operation_input``) are written to the cluster's
        credentials file only once the operation has started: a refused start leaves the
        folder as it was. A create never replaces a credentials file holding other values."""
        refuse_secrets(inp)
        facts = facts_of(inp)
        wf_id = facts.workflow_id
        kind = "management" if facts.self_managed else f"workload (managed by {facts.management_cluster})"
        creds = proxy.credentials_path(inp.workdir, facts.name)
        if operation == CREATE:
            await self._refuse_existing(facts, inp)
            if proxy_passwords:
                refuse_other_credentials(creds, proxy_passwords, facts)
        try:
            handle = await self.client.start_workflow(
                _WORKFLOWS[operation],
                inp,
                id=wf_id,
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                task_timeout=self.task_timeout,
                memo=operation_memo(inp),
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(EKSA_CLUSTER, facts.name),
                        SearchAttributePair(EKSA_OPERATION, operation),
                        SearchAttributePair(EKSA_PROVIDER, facts.provider or "unknown"),
                        SearchAttributePair(EKSA_PHASE, Phase.RUNNING.value),
                    ]
                ),
                static_summary=f"{operation} {kind} cluster {facts.namespace}/{facts.name} ({facts.provider})",
                static_details=(
                    f"**{operation}** of cluster `{facts.namespace}/{facts.name}`\n\n"
                    f"- provider: `{facts.provider}`\n- kind: {kind}\n"
                    f"- output folder: `{inp.workdir}`\n- keep on failure: {inp.keep_on_failure}\n\n"
                    f"Retry a parked step: `eksa-temporal retry {wf_id}`; give up: `eksa-temporal abort {wf_id}`."
                ),
            )
        except WorkflowAlreadyStartedError as exc:
            running = await self._running_line(wf_id)
            raise OperationAlreadyRunning(
                f"cluster {facts.namespace}/{facts.name} is busy: {running}; wait for it, or "
                f"`eksa-temporal cancel {wf_id}`"
            ) from exc
        except RPCError as exc:
            raise self._problem(exc) or LifecycleError(f"cannot start {operation} of {wf_id}: {exc.message}") from exc
        if proxy_passwords and _stored_credentials(creds) != dict(proxy_passwords):
            proxy.write_credentials(creds, proxy_passwords)
        return OperationRef(
            workflow_id=wf_id, run_id=handle.result_run_id, operation=operation, cluster=facts.name, ui_url=ui_url(wf_id)
        )

    async def _refuse_existing(self, facts: ClusterFacts, inp: OperationInput) -> None:
        """``ClusterExists`` when a create of ``facts`` would meet an existing cluster:
        an operation running on a cluster of the same name in another namespace, or the
        infrastructure, management cluster or output folder as ``setup-validate`` asks."""
        wf_id = facts.workflow_id
        query = (
            f"{EKSA_CLUSTER.name} = '{facts.name}' AND ExecutionStatus = 'Running' "
            f"AND TaskQueue = '{self.task_queue}'"
        )
        try:
            async for ex in self.client.list_workflows(query, limit=10):
                if ex.id != wf_id:
                    raise ClusterExists(
                        f"cluster {facts.namespace}/{facts.name} already exists: operation {ex.id} runs on a "
                        "cluster of the same name (fix: names are unique across namespaces: choose another "
                        f"name, or delete that cluster first)"
                    )
        except RPCError as exc:
            raise self._problem(exc) or LifecycleError(f"cannot list operations: {exc.message}") from exc
        from eksa_temporal.activities.existing import existing_at_submission
        from eksa_temporal.providers.registry import Registry

        registry = self.registry or Registry()
        found = await asyncio.to_thread(
            existing_at_submission,
            registry,
            spec_yaml=inp.spec_yaml,
            workdir=inp.workdir,
            management_kubeconfig=inp.management_kubeconfig,
            workflow_id=wf_id,
            origin=inp.origin,
        )
        if found is None:
            return
        if await self._running(wf_id):  # its own running operation: say busy, not exists
            running = await self._running_line(wf_id)
            raise OperationAlreadyRunning(
                f"cluster {facts.namespace}/{facts.name} is busy: {running}; wait for it, or "
                f"`eksa-temporal cancel {wf_id}`"
            )
        raise ClusterExists(found.line(facts.namespace, facts.name))

    async def _running(self, wf_id: str) -> bool:
        try:
            desc = await self.client.get_workflow_handle(wf_id).describe()
        except RPCError:
            return False
        return desc.status == WorkflowExecutionStatus.RUNNING

    async def _running_line(self, wf_id: str) -> str:
        try:
            st = await self.status(wf_id, with_progress=False)
        except LifecycleError:
            return f"operation {wf_id} is running"
        return f"operation {st.operation or '?'} ({wf_id}, run {st.run_id}) is {st.state}"

    # -- read -------------------------------------------------------------------------
    def handle(self, id_or_name: str) -> WorkflowHandle[Any, Any]:
        return self.client.get_workflow_handle(resolve_id(id_or_name))

    async def status(self, id_or_name: str, *, with_progress: bool = True) -> OperationStatus:
        handle = self.handle(id_or_name)
        try:
            desc = await handle.describe()
        except RPCError as exc:
            raise self._problem(exc) or LifecycleError(
                f"no operation {handle.id} ({exc.message}); see `eksa-temporal list`"
            ) from exc
        st = _status_of(desc)
        for pa in desc.raw_description.pending_activities:
            st.pending.append(await _pending(pa, self.client.data_converter))
        if st.state == "failed":
            st.error = await self._failure(handle)
        if with_progress:
            try:
                st.progress = await handle.query(
                    "progress", result_type=OperationProgress, rpc_timeout=timedelta(seconds=3)
                )
            except Exception:
                st.progress = None
        return st

    async def last_operation(self, cluster_name: str, namespace: str = "default") -> LastOperation | None:
        """The latest operation of cluster ``namespace/cluster_name`` (running or closed),
        with the spec digest and origin of its memo; None when the cluster never had one.

        Reads the workflow's description (no worker needed); the current step comes from
        the pending activity, else from the ``progress`` query (bounded to 2 s, skipped
        when no worker answers); a failed operation's failure line from its result."""
        handle = self.client.get_workflow_handle(workflow_id(namespace, cluster_name))
        try:
            desc = await handle.describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND and "namespace" not in exc.message.lower():
                return None
            raise self._problem(exc) or LifecycleError(f"cannot describe {handle.id}: {exc.message}") from exc
        st = _status_of(desc)
        memo = await desc.memo()
        digest, origin = memo.get(MEMO_DIGEST), memo.get(MEMO_ORIGIN)
        step: str | None = None
        error: str | None = None
        if st.state in ("running", Phase.AWAITING_OPERATOR.value):
            pending = [pa.activity_type.name for pa in desc.raw_description.pending_activities]
            step = pending[0] if pending else await self._current_step(handle)
        elif st.state == "failed":
            error = await self._failure(self.client.get_workflow_handle(handle.id, run_id=desc.run_id))
        return LastOperation(
            workflow_id=st.workflow_id,
            run_id=st.run_id,
            operation=st.operation or _OPERATIONS.get(desc.workflow_type, ""),
            state=st.state,
            spec_digest=digest if isinstance(digest, str) else None,
            origin=origin if isinstance(origin, str) else None,
            current_step=step,
            error=error,
            started_at=st.started_at,
            closed_at=st.closed_at,
            ui_url=st.ui_url,
        )

    async def _current_step(self, handle: WorkflowHandle[Any, Any]) -> str | None:
        try:
            progress = await handle.query("progress", result_type=OperationProgress, rpc_timeout=timedelta(seconds=2))
        except Exception:
            return None
        return progress.current_step if isinstance(progress, OperationProgress) else None

    async def _failure(self, handle: WorkflowHandle[Any, Any]) -> str | None:
        try:
            await handle.result(follow_runs=False, rpc_timeout=timedelta(seconds=5))
        except WorkflowFailureError as exc:
            return failure_line(exc)
        except Exception as exc:
            return str(exc)
        return None

    async def list(self, cluster: str | None = None, limit: int = 50) -> list[OperationStatus]:
        query = f"{EKSA_CLUSTER.name} = '{cluster}'" if cluster else f"{EKSA_CLUSTER.name} IS NOT NULL"
        out: list[OperationStatus] = []
        try:
            async for ex in self.client.list_workflows(query, limit=limit):
                out.append(_status_of(ex))
        except RPCError as exc:
            raise self._problem(exc) or LifecycleError(f"cannot list operations: {exc.message}") from exc
        return out

    async def wait(self, id_or_name: str) -> Any:
        """The operation's result; raises ``LifecycleError`` with its failure line."""
        wf_id = resolve_id(id_or_name)
        try:
            desc = await self.client.get_workflow_handle(wf_id).describe()
        except RPCError as exc:
            raise self._problem(exc) or LifecycleError(
                f"no operation {wf_id} ({exc.message}); see `eksa-temporal list`"
            ) from exc
        handle = self.client.get_workflow_handle(wf_id, result_type=_RESULTS.get(desc.workflow_type))
        try:
            return await handle.result()
        except WorkflowFailureError as exc:
            raise LifecycleError(f"{handle.id}: {failure_line(exc)}") from exc
        except RPCError as exc:
            raise self._problem(exc) or LifecycleError(f"{handle.id}: {exc.message}") from exc

    # -- act --------------------------------------------------------------------------
    async def cancel(self, id_or_name: str) -> str:
        handle = self.handle(id_or_name)
        try:
            await handle.cancel()
        except RPCError as exc:
            raise self._problem(exc) or LifecycleError(f"cannot cancel {handle.id}: {exc.message}") from exc
        return handle.id

    async def retry(self, id_or_name: str, reason: str = "") -> OperatorReply:
        return await self._decide(id_or_name, "retry", reason)

    async def abort(self, id_or_name: str, reason: str = "") -> OperatorReply:
        return await self._decide(id_or_name, "abort", reason)

    async def _decide(self, id_or_name: str, decision: str, reason: str) -> OperatorReply:
        handle = self.handle(id_or_name)
        try:
            reply: OperatorReply = await handle.execute_update(
                decision, OperatorRequest(reason=reason), result_type=OperatorReply
            )
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            raise LifecycleError(f"{decision} refused: {getattr(cause, 'message', None) or cause}") from exc
        except RPCError as exc:
            raise self._problem(exc) or LifecycleError(f"{decision} of {handle.id} failed: {exc.message}") from exc
        return reply


def failure_line(exc: WorkflowFailureError) -> str:
    """The workflow's own failure message (it names the step and the remediation)."""
    cause = exc.cause
    if isinstance(cause, CancelledError):
        return "cancelled"
    if isinstance(cause, FailureError) and cause.message:
        return cause.message
    return str(cause or exc)


async def _pending(pa: Any, converter: DataConverter) -> dict[str, Any]:
    details: Any = None
    if pa.heartbeat_details.payloads:
        try:  # through the codec: heartbeat details are encrypted when encryption is on
            details = (await converter.decode(pa.heartbeat_details.payloads))[0]
        except Exception:
            details = None
    return {
        "step": pa.activity_type.name,
        "attempt": pa.attempt,
        "state": PendingActivityState.Name(pa.state).removeprefix("PENDING_ACTIVITY_STATE_").lower(),
        "last_failure": await _failure_message(pa.last_failure, converter) if pa.HasField("last_failure") else None,
        "heartbeat": details,
    }


async def _failure_message(failure: Failure, converter: DataConverter) -> str | None:
    """A failure's message; with encryption on it is in the encrypted attributes."""
    if not failure.HasField("encoded_attributes"):
        return failure.message or None
    copy = Failure()
    copy.CopyFrom(failure)  # decoding works in place
    try:
        exc = await converter.decode_failure(copy)
    except Exception:
        return failure.message or None
    return (exc.message if isinstance(exc, FailureError) else str(exc)) or None


async def connect(profile: str | None = None) -> Client:
    """A Temporal client from the standard env/profile config (TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE, config file);
    defaults to the embedded dev server at 127.0.0.1:7233. Payloads are encrypted when keys
    are configured (``eksa_temporal.codec``: EKSA_CODEC_KEYS_FILE or EKSA_CODEC_KEY; a bad
    key configuration is a ``LifecycleError``). Raises ``TemporalUnavailable``
    (one line naming the address and the fix) when the server cannot be reached."""
    settings: dict[str, Any] = dict(ClientConfig.load_client_connect_config(profile=profile))
    settings.setdefault("target_host", f"127.0.0.1:{config.DEFAULT_TEMPORAL_PORT}")
    target = str(settings["target_host"])
    try:  # payload encryption when EKSA_CODEC_KEYS_FILE or EKSA_CODEC_KEY is set
        converter = codec.data_converter()
    except codec.CodecError as exc:
        raise LifecycleError(str(exc)) from exc
    try:
        return await Client.connect(**settings, data_converter=converter)
    except RPCError as exc:
        raise rpc_problem(exc, target, str(settings.get("namespace") or "default")) or unreachable(target) from exc
    except ValueError as exc:  # the SDK's "invalid target URL: ..."
        raise TemporalUnavailable(
            f"the Temporal address {target} is not valid (fix: set TEMPORAL_ADDRESS to host:port, e.g. 127.0.0.1:7233)"
        ) from exc
    except RuntimeError as exc:  # the SDK's "Failed client connect: <transport error>"
        text = str(exc).lower()
        if "unauthenticated" in text or "permission" in text:
            raise TemporalUnavailable(
                f"Temporal at {target} refused this client (fix: set TEMPORAL_API_KEY or TEMPORAL_TLS_* for this server)"
            ) from exc
        raise unreachable(target) from exc


def operation_input(
    model: type[OperationInput],
    spec_path: str | Path,
    *,
    workdir: str | Path | None = None,
    **options: Any,
) -> tuple[Any, dict[str, str]]:
    """Build an operation input from a spec file, and the proxy passwords taken out of it;
    ``workdir`` defaults to ``./<name>/``.

    A proxy password in the spec never goes into the input (workflow histories keep inputs
    in clear): the spec text carries a placeholder instead (``eksa_temporal.spec.proxy``) and
    the passwords are returned, for ``LifecycleClient.start`` to write to
    ``<workdir>/generated/<name>.proxy-credentials`` (0600) once the operation has started.
    Nothing is written here."""
    text = Path(spec_path).read_text(encoding="utf-8")
    try:
        facts = cluster_facts(text)
        text, passwords = proxy.split_credentials(text)
    except (SpecError, proxy.ProxyCredentialsError) as exc:
        raise LifecycleError(f"{spec_path}: {exc}") from exc
    folder = (Path(workdir) if workdir else Path.cwd() / facts.name).resolve()
    return model(spec_yaml=text, workdir=str(folder), **options), passwords


def _status_of(ex: WorkflowExecution) -> OperationStatus:
    """An operation's status from a listed or described execution and its search attributes."""
    sa = ex.typed_search_attributes
    phase = sa.get(EKSA_PHASE) or ""
    return OperationStatus(
        workflow_id=ex.id,
        run_id=ex.run_id,
        operation=sa.get(EKSA_OPERATION) or "",
        cluster=sa.get(EKSA_CLUSTER) or "",
        provider=sa.get(EKSA_PROVIDER) or "",
        state=_state(ex.status, phase),
        phase=phase,
        started_at=ex.start_time,
        closed_at=ex.close_time,
        ui_url=ui_url(ex.id),
    )
