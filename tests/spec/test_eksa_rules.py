"""Rules ported from EKS Anywhere's API validation: for each, a generated spec passes and
the same spec with one EKS-A-rejected change fails with a finding naming the field."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest

from eksa_temporal.spec import check_spec_text
from eksa_temporal.spec.findings import Severity
from tests.spec.helpers import docs, dump, messages

Docs = list[dict[str, Any]]
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _spec(d: Docs) -> dict[str, Any]:
    spec: dict[str, Any] = d[0]["spec"]
    return spec


def _cp(d: Docs) -> dict[str, Any]:
    cp: dict[str, Any] = _spec(d)["controlPlaneConfiguration"]
    return cp


def _md(d: Docs) -> dict[str, Any]:
    md: dict[str, Any] = _spec(d)["workerNodeGroupConfigurations"][0]
    return md


def _set(path: list[Any], value: Any) -> Callable[[Docs], None]:
    def mutate(d: Docs) -> None:
        target: Any = d
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def _both(*mutations: Callable[[Docs], None]) -> Callable[[Docs], None]:
    def mutate(d: Docs) -> None:
        for m in mutations:
            m(d)

    return mutate


def _add_objects(*objects: dict[str, Any]) -> Callable[[Docs], None]:
    def mutate(d: Docs) -> None:
        d.extend(objects)

    return mutate


_API = "anywhere.eks.amazonaws.com/v1alpha1"


def _referenced(field: str, kind: str, name: str, spec: dict[str, Any]) -> Callable[[Docs], None]:
    """Add a ``kind`` object and reference it from the Cluster's ``field`` (a list for
    identityProviderRefs)."""
    ref: dict[str, str] = {"kind": kind, "name": name}
    obj = {"apiVersion": _API, "kind": kind, "metadata": {"name": name}, "spec": spec}
    return _both(
        _set([0, "spec", field], [ref] if field == "identityProviderRefs" else ref),
        _add_objects(obj),
    )


def _aws_iam(spec: dict[str, Any]) -> Callable[[Docs], None]:
    return _referenced("identityProviderRefs", "AWSIamConfig", "iam", spec)


def _oidc(spec: dict[str, Any]) -> Callable[[Docs], None]:
    return _referenced("identityProviderRefs", "OIDCConfig", "o", spec)


def _flux(spec: dict[str, Any]) -> Callable[[Docs], None]:
    return _referenced("gitOpsRef", "FluxConfig", "flux", spec)


def _proxy(http: str, https: str = "proxy.local:3128") -> Callable[[Docs], None]:
    return _set([0, "spec", "proxyConfiguration"], {"httpProxy": http, "httpsProxy": https})


def _mirror(**fields: Any) -> Callable[[Docs], None]:
    return _set([0, "spec", "registryMirrorConfiguration"], {"endpoint": "10.0.0.9", **fields})


def _bottlerocket(d: Docs) -> None:
    for doc in d[2:]:
        doc["spec"]["osFamily"] = "bottlerocket"
        doc["spec"]["users"] = [{"name": "ec2-user", "sshAuthorizedKeys": ["ssh-rsa AAA"]}]


# (case, provider, change, text the error "path: message" must contain)
CASES: list[tuple[str, str, Callable[[Docs], None], str]] = [
    # validateProxyConfig / validateProxyData
    (
        "proxy host is neither an IP nor a name",
        "sim",
        _proxy("0.0.0.1234:1", "0.0.0.0:1"),
        "spec.proxyConfiguration.httpProxy: proxy endpoint 0.0.0.1234 is invalid",
    ),
    (
        "proxy URL without a port",
        "sim",
        _proxy("http://proxy.local"),
        "spec.proxyConfiguration.httpProxy: proxy endpoint http://proxy.local is invalid",
    ),
    (
        "proxy URL that does not parse",
        "sim",
        _proxy("http://[::1"),
        "spec.proxyConfiguration.httpProxy: proxy http://[::1 is invalid, please provide a valid URI",
    ),
    (
        "proxy port empty",
        "sim",
        _proxy("proxy.local:"),
        "spec.proxyConfiguration.httpProxy: proxy endpoint proxy.local: has no port",
    ),
    # validateAWSIamConfig
    (
        "AWS IAM MountedFile backend",
        "sim",
        _aws_iam(
            {
                "awsRegion": "us-west-2",
                "backendMode": ["EKSConfigMap", "MountedFile"],
                "mapUsers": [{"userARN": "arn:aws:iam::1:user/a", "username": "a"}],
            }
        ),
        "AWSIamConfig/iam: spec.backendMode[1]: AWSIamConfig BackendMode does not support MountedFile backend",
    ),
    (
        "AWS IAM without region",
        "sim",
        _aws_iam({"backendMode": ["EKSConfigMap"]}),
        "AWSIamConfig/iam: spec.awsRegion: AWSIamConfig AWSRegion is a required field",
    ),
    (
        "AWS IAM mapUsers without username",
        "sim",
        _aws_iam(
            {
                "awsRegion": "us-west-2",
                "backendMode": ["EKSConfigMap"],
                "mapUsers": [{"userARN": "arn:aws:iam::1:user/a"}],
            }
        ),
        "spec.mapUsers[0].username: AWSIamConfig MapUsers Username is required",
    ),
    # validateMirrorConfig (+ caCertContent format)
    (
        "registry mirror port out of range",
        "sim",
        _mirror(port="70000"),
        "spec.registryMirrorConfiguration.port: registry mirror port 70000 is invalid",
    ),
    (
        "registry mirror two curated-packages registries",
        "sim",
        _mirror(
            ociNamespaces=[
                {"registry": "1.dkr.ecr.us-west-2.amazonaws.com", "namespace": "a"},
                {"registry": "2.dkr.ecr.us-east-1.amazonaws.com", "namespace": "b"},
            ]
        ),
        "only one registry mirror for curated packages is suppported",
    ),
    (
        "registry mirror CA that is not PEM",
        "sim",
        _mirror(caCertContent="not a cert"),
        "spec.registryMirrorConfiguration.caCertContent: caCertContent is not a PEM certificate",
    ),
    (
        "insecureSkipVerify with Bottlerocket machines",
        "vsphere",
        _both(_bottlerocket, _mirror(insecureSkipVerify=True)),
        "spec.registryMirrorConfiguration.insecureSkipVerify: InsecureSkipVerify is not supported for bottlerocket",
    ),
    # validateOIDCConfig
    (
        "OIDC issuer URL not absolute",
        "sim",
        _oidc({"clientId": "c", "issuerUrl": "mydomain./issuer"}),
        "OIDCConfig/o: spec.issuerUrl: OIDCConfig issuerUrl is invalid",
    ),
    # Cluster: name, labels, taints, certSANs, rollout, etcd, kubelet, CNI, packages, version
    (
        "cluster name longer than 35",
        "sim",
        _set([0, "metadata", "name"], "a" * 36),
        "should be less than 36",
    ),
    (
        "worker label value invalid",
        "sim",
        lambda d: _md(d).update(labels={"a": "-bad"}),
        'label value "-bad" is invalid',
    ),
    (
        "worker taint effect invalid",
        "sim",
        lambda d: _md(d).update(taints=[{"key": "k", "effect": "Never"}]),
        'taint effect "Never" is invalid',
    ),
    (
        "taint key empty",
        "sim",
        lambda d: _md(d).update(taints=[{"key": "", "effect": "NoSchedule"}]),
        "taints[0].key: taint key is empty",
    ),
    (
        "certSANs entry invalid",
        "sim",
        lambda d: _cp(d).update(certSans=["not a name"]),
        "certSans[0]: not a name is not a valid IP or domain name",
    ),
    (
        "control plane maxSurge negative",
        "sim",
        lambda d: _cp(d).update(
            upgradeRolloutStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": -1}}
        ),
        "maxSurge for control plane cannot be a negative value",
    ),
    (
        "control plane maxSurge above one",
        "sim",
        lambda d: _cp(d).update(
            upgradeRolloutStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2}}
        ),
        "maxSurge for control plane must be 0 or 1",
    ),
    (
        "control plane strategy type unknown",
        "sim",
        lambda d: _cp(d).update(upgradeRolloutStrategy={"type": "Recreate"}),
        "only 'RollingUpdate' and 'InPlace' are supported",
    ),
    (
        "worker RollingUpdate without rollingUpdate",
        "sim",
        lambda d: _md(d).update(upgradeRolloutStrategy={"type": "RollingUpdate"}),
        "upgradeRolloutStrategy.rollingUpdate field is required",
    ),
    (
        "worker InPlace with rollingUpdate",
        "tinkerbell",
        lambda d: _md(d).update(
            upgradeRolloutStrategy={"type": "InPlace", "rollingUpdate": {"maxSurge": 1}}
        ),
        "RollingUpdate field must be empty for 'InPlace'",
    ),
    (
        "worker maxSurge and maxUnavailable both 0",
        "sim",
        lambda d: _md(d).update(
            upgradeRolloutStrategy={
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0},
            }
        ),
        "cannot both be 0",
    ),
    (
        "autoscaling minCount above count",
        "sim",
        lambda d: _md(d).update(count=1, autoscalingConfiguration={"minCount": 2, "maxCount": 3}),
        "min count must be less than or equal to count",
    ),
    (
        "InPlace outside bare metal",
        "vsphere",
        lambda d: _cp(d).update(upgradeRolloutStrategy={"type": "InPlace"}),
        "'InPlace' upgrade rollout strategy type is only supported on Bare Metal",
    ),
    (
        "external etcd negative count",
        "sim",
        lambda d: _spec(d).update(
            externalEtcdConfiguration={
                "count": -1,
                "machineGroupRef": dict(_cp(d)["machineGroupRef"]),
            }
        ),
        "etcd replicas cannot be a negative number",
    ),
    (
        "kubelet configuration unknown field",
        "sim",
        lambda d: _cp(d).update(kubeletConfiguration={"maxPodz": 10}),
        'kubeletConfiguration.maxPodz: unknown KubeletConfiguration field "maxPodz"',
    ),
    (
        "kubelet configuration wrong type",
        "sim",
        lambda d: _md(d).update(kubeletConfiguration={"maxPods": "ten"}),
        "kubeletConfiguration.maxPods: KubeletConfiguration maxPods must be an integer",
    ),
    (
        "kubelet configuration providerID",
        "sim",
        lambda d: _cp(d).update(kubeletConfiguration={"providerID": "x"}),
        "can not override providerID",
    ),
    (
        "audit policy not YAML",
        "sim",
        lambda d: _cp(d).update(auditPolicyContent="a: [b"),
        "auditPolicyContent: invalid YAML in auditPolicyContent",
    ),
    (
        "cilium direct routing without IPv4 CIDR",
        "sim",
        lambda d: _spec(d)["clusterNetwork"].update(
            cniConfig={"cilium": {"routingMode": "direct"}}
        ),
        "direct routing mode requires IPv4NativeRoutingCIDR",
    ),
    (
        "packages controller on a workload cluster",
        "sim",
        lambda d: _spec(d).update(
            managementCluster={"name": "mgmt"}, packages={"controller": {"tag": "v1"}}
        ),
        "packages: controller should not be specified for a workload cluster",
    ),
    (
        "eksaVersion not semver",
        "sim",
        _set([0, "spec", "eksaVersion"], "v1.2"),
        'eksaVersion "v1.2" is not a semantic version',
    ),
    (
        "podIamConfig without issuer",
        "sim",
        _set([0, "spec", "podIamConfig"], {}),
        "ServiceAccount Issuer can't be empty",
    ),
    (
        "etcd encryption KMS socket not unix",
        "sim",
        _set(
            [0, "spec", "etcdEncryption"],
            [
                {
                    "resources": ["secrets"],
                    "providers": [{"kms": {"name": "k", "socketListenAddress": "tcp://1.2.3.4:1"}}],
                }
            ],
        ),
        "spec.etcdEncryption[0].providers[0].kms.socketListenAddress: kms.socketListenAddress has unsupported scheme: tcp",
    ),
    (
        "etcd encryption without resources",
        "sim",
        _set(
            [0, "spec", "etcdEncryption"],
            [{"providers": [{"kms": {"name": "k", "socketListenAddress": "unix:///k.sock"}}]}],
        ),
        "etcdEncryption[0].resources cannot be empty",
    ),
    (
        "OIDC flag in apiServerExtraArgs with an OIDCConfig",
        "sim",
        _both(
            lambda d: _cp(d).update(
                apiServerExtraArgs={"oidc-client-id": "x", "oidc-signing-algs": "RS256"}
            ),
            _oidc({"clientId": "c", "issuerUrl": "https://issuer.example.com"}),
        ),
        "apiServerExtraArgs.oidc-client-id: oidc-client-id cannot be configured if OIDCConfig is configured",
    ),
    # GitOps / Flux
    (
        "flux with two providers",
        "sim",
        _flux(
            {
                "github": {"owner": "o", "repository": "r"},
                "git": {"repositoryUrl": "ssh://git@h/r.git"},
            }
        ),
        "must specify only one provider",
    ),
    (
        "flux git URL not ssh",
        "sim",
        _flux({"git": {"repositoryUrl": "https://h/r.git"}}),
        "invalid repository url scheme: https",
    ),
    (
        "flux repository name with a slash",
        "sim",
        _flux({"github": {"owner": "o", "repository": "o/r"}}),
        "o/r is not a valid git repository name",
    ),
    (
        "flux branch EKS-A rejects",
        "sim",
        _flux({"github": {"owner": "o", "repository": "r"}, "branch": "release-1.0"}),
        "release-1.0 is not a valid git branch name",
    ),
    # vSphere
    (
        "vSphere network outside the datacenter's network folder",
        "vsphere",
        lambda d: d[1]["spec"].update(network=f"/{d[1]['spec']['datacenter']}/host/vm-net"),
        "spec.network: invalid path, expected path [/",
    ),
    (
        "vSphere failure domain without folder",
        "vsphere",
        _set(
            [1, "spec", "failureDomains"],
            [
                {
                    "name": "fd",
                    "computeCluster": "c",
                    "resourcePool": "r",
                    "datastore": "d",
                    "network": "/dc/network/n",
                }
            ],
        ),
        "failureDomains[0].folder: folder is not set or is empty in the FailureDomain fd",
    ),
    (
        "vSphere worker with an unknown failure domain",
        "vsphere",
        lambda d: _md(d).update(failureDomains=["nope"]),
        "provided invalid failure domain nope in the worker node group md-0",
    ),
    (
        "vSphere NTP servers empty",
        "vsphere",
        _set([2, "spec", "hostOSConfiguration"], {"ntpConfiguration": {"servers": []}}),
        "NTPConfiguration.Servers can not be empty",
    ),
    (
        "vSphere cert bundles on ubuntu",
        "vsphere",
        _set([2, "spec", "hostOSConfiguration"], {"certBundles": [{"name": "ca", "data": PEM}]}),
        'CertBundles can only be used with osFamily: "bottlerocket"',
    ),
    (
        "vSphere Bottlerocket maxPods negative",
        "vsphere",
        _both(
            _bottlerocket,
            _set(
                [2, "spec", "hostOSConfiguration"],
                {"bottlerocketConfiguration": {"kubernetes": {"maxPods": -1}}},
            ),
        ),
        "MaxPods can not be negative",
    ),
    (
        "docker with a control-plane endpoint",
        "docker",
        lambda d: _cp(d).update(endpoint={"host": "10.0.0.10"}),
        "spec.controlPlaneConfiguration.endpoint: specifying endpoint host configuration in Cluster is not supported",
    ),
    # Tinkerbell
    (
        "Tinkerbell selector and affinity together",
        "tinkerbell",
        _set(
            [2, "spec", "hardwareAffinity"],
            {"required": [{"labelSelector": {"matchLabels": {"a": "b"}}}]},
        ),
        "hardwareSelector and hardwareAffinity are mutually exclusive",
    ),
    (
        "Tinkerbell selector with two labels",
        "tinkerbell",
        _set([2, "spec", "hardwareSelector"], {"a": "b", "c": "d"}),
        "spec.hardwareSelector must contain only 1 key-value pair",
    ),
    (
        "Tinkerbell affinity operator unknown",
        "tinkerbell",
        _both(
            _set([2, "spec", "hardwareSelector"], {}),
            _set(
                [2, "spec", "hardwareAffinity"],
                {
                    "required": [
                        {"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]}}
                    ]
                },
            ),
        ),
        "invalid matchExpression operator 'Near'",
    ),
    (
        "Tinkerbell hook ISO without isoBoot",
        "tinkerbell",
        _set([1, "spec", "hookIsoURL"], "http://10.0.0.1/hook.iso"),
        "isoURL can be set, only when isoBoot is set to true",
    ),
    # CloudStack
    (
        "CloudStack zone without network",
        "cloudstack",
        lambda d: d[1]["spec"]["availabilityZones"][0]["zone"].pop("network", None),
        "zone network is not set or is empty",
    ),
    (
        "CloudStack restricted custom detail",
        "cloudstack",
        _set([2, "spec", "userCustomDetails"], {"keyboard": "us"}),
        "restricted key keyboard found in custom user details",
    ),
    (
        "CloudStack affinity with group ids",
        "cloudstack",
        _both(_set([2, "spec", "affinity"], "pro"), _set([2, "spec", "affinityGroupIds"], ["g"])),
        "affinity and affinityGroupIds cannot be set at the same time",
    ),
    (
        "CloudStack disk offering without mount path",
        "cloudstack",
        _set(
            [2, "spec", "diskOffering"],
            {"name": "big", "device": "/dev/vdb", "filesystem": "ext4", "label": "d"},
        ),
        "mountPath invalid, must be non-empty and start with /",
    ),
    (
        "CloudStack symlink ending with a slash",
        "cloudstack",
        _set([2, "spec", "symlinks"], {"/var/log/": "/data/log"}),
        "symlinks: /var/log/ invalid, must start with / and NOT end with /",
    ),
    # Nutanix
    (
        "Nutanix boot type unknown",
        "nutanix",
        _set([2, "spec", "bootType"], "bios"),
        "unsupported boot type (bios)",
    ),
    (
        "Nutanix trust bundle not PEM",
        "nutanix",
        _set([1, "spec", "additionalTrustBundle"], "nope"),
        "additionalTrustBundle is not valid",
    ),
    (
        "Nutanix credentialRef without name",
        "nutanix",
        _set([1, "spec", "credentialRef"], {"kind": "Secret", "name": ""}),
        "credentialRef name is not set or is empty",
    ),
    (
        "Nutanix category value missing",
        "nutanix",
        _set([2, "spec", "additionalCategories"], [{"key": "k", "value": ""}]),
        "missing category value for key k: demo-cp",
    ),
    # Snow
    (
        "Snow instance type unknown",
        "snow",
        _set([2, "spec", "instanceType"], "m5.large"),
        "SnowMachineConfig InstanceType m5.large is not supported",
    ),
    (
        "Snow connector unknown",
        "snow",
        _set([2, "spec", "physicalNetworkConnector"], "USB"),
        "PhysicalNetworkConnector USB is not supported",
    ),
    (
        "Snow Bottlerocket containers volume too small",
        "snow",
        _both(
            _set([2, "spec", "osFamily"], "bottlerocket"),
            _set([2, "spec", "containersVolume"], {"size": 10}),
        ),
        "ContainersVolume.Size must be no smaller than 25 Gi for Bottlerocket OS",
    ),
    (
        "Snow non-root volume on sda",
        "snow",
        _set([2, "spec", "nonRootVolumes"], [{"deviceName": "/dev/sda2", "size": 10}]),
        "Device name with prefix /dev/sda* is reserved",
    ),
    (
        "Snow identityRef kind wrong",
        "snow",
        _set([1, "spec", "identityRef"], {"kind": "ConfigMap", "name": "creds"}),
        "IdentityRef kind ConfigMap is invalid",
    ),
]


@pytest.mark.parametrize(
    ("case", "provider", "change", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_eksa_rule_rejects_what_eksa_rejects(
    case: str, provider: str, change: Callable[[Docs], None], expected: str
) -> None:
    d = docs(provider)
    assert not any(expected in m for m in messages(d)), f"{case}: the generated spec already fails"
    change(d)
    found = messages(d)
    assert any(expected in m for m in found), f"{case}: {found}"


def _yaml_messages(text: str) -> list[str]:
    from eksa_temporal.spec import errors

    return [f"{f.path}: {f.message}" for f in errors(check_spec_text(text)[1])]


def test_generate_refuses_a_name_eksa_would_reject_for_length() -> None:
    from eksa_temporal.spec import generate_cluster_config

    assert check_spec_text(generate_cluster_config("a" * 35, "sim"))[0] is not None
    with pytest.raises(ValueError, match="at most 35 characters"):
        generate_cluster_config("a" * 36, "sim")


def test_proxy_accepts_ip_urls_and_resolvable_names() -> None:
    d = docs()
    _spec(d)["proxyConfiguration"] = {
        "httpProxy": "http://proxy.example.com:3128",
        "httpsProxy": "10.0.0.1:3128",
        "noProxy": ["localhost"],
    }
    assert messages(d) == []


def test_aws_iam_with_eks_configmap_and_no_mappings_is_only_a_warning() -> None:
    d = docs()
    _aws_iam({"awsRegion": "us-west-2", "backendMode": ["EKSConfigMap"]})(d)
    findings = check_spec_text(dump(d))[1]
    assert [f.severity for f in findings if f.check == "aws-iam"] == [Severity.WARNING]


def test_worker_version_newer_than_the_control_plane_is_a_warning_as_in_eksa_create() -> None:
    d = docs()
    _spec(d)["kubernetesVersion"] = "1.30"
    _md(d)["kubernetesVersion"] = "1.31"
    findings = check_spec_text(dump(d))[1]
    assert not [f for f in findings if f.is_error]
    assert any("newer than the cluster version" in f.message for f in findings)


def test_yaml_null_decodes_as_go_zero_values() -> None:
    d = docs("docker")
    d[1]["spec"] = None
    _spec(d)["identityProviderRefs"] = [None]
    found = messages(d)
    assert not any("cannot decode" in m for m in found), found
    assert (
        "spec.identityProviderRefs[0].kind: kind:  for identityProviderRef is not supported"
        not in found
    )
    assert any(
        m.startswith("spec.identityProviderRefs[0].kind: identityProviderRef kind is not set")
        for m in found
    ), found


def test_field_names_match_case_insensitively_like_go() -> None:
    d = docs()
    _cp(d)["certSANs"] = ["api.example.com"]
    assert messages(d) == []


def test_vsphere_machine_tags_use_eksa_wire_name() -> None:
    d = docs("vsphere")
    d[2]["spec"]["tags"] = ["urn:vmomi:InventoryServiceTag:1:GLOBAL"]
    assert messages(d) == []
    d[2]["spec"]["tagIDs"] = d[2]["spec"].pop("tags")
    assert any('unknown field "tagIDs"' in m for m in messages(d))


def test_nutanix_defaults_fill_user_and_os_family() -> None:
    d = docs("nutanix")
    d[2]["spec"].pop("osFamily", None)
    d[2]["spec"]["users"] = [{"name": None, "sshAuthorizedKeys": ["ssh-rsa AAA"]}]
    assert messages(d) == []


def test_no_message_carries_an_empty_name() -> None:
    d = docs()
    _spec(d)["datacenterRef"]["kind"] = ""
    _spec(d)["workerNodeGroupConfigurations"] = []
    _md_less = messages(d)
    assert not any("for  " in m or m.endswith("for ") for m in _md_less), _md_less
    assert any("WorkerNodeGroupConfigs cannot be empty for" in m for m in _md_less)
    d = docs("vsphere")
    d[2]["metadata"]["name"] = ""
    d[2]["spec"]["datastore"] = ""
    _cp(d)["machineGroupRef"]["name"] = ""
    found = messages(d)
    assert any(m.startswith("VSphereMachineConfig/(unnamed): ") for m in found), found
    assert any("machineGroupRef name is not set" in m for m in found), found
    for m in found:
        assert '""' not in m and "  " not in m and "()" not in m, m


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


_EMPTY_SHOWN = re.compile(r'(: $|  |""|\(\)|\[\]| for $|/: | ,| named $)')


@pytest.mark.parametrize(
    "provider", ["sim", "vsphere", "tinkerbell", "cloudstack", "nutanix", "snow"]
)
def test_emptying_any_value_never_puts_an_empty_name_in_a_message(provider: str) -> None:
    base = docs(provider)
    shown: list[str] = []
    for path in _leaves(base):
        for value in ("", None):
            d = copy.deepcopy(base)
            target: Any = d
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value
            shown += [m for m in messages(d) if _EMPTY_SHOWN.search(m)]
    assert shown == []


def test_objects_without_a_cluster_are_still_checked_on_their_own() -> None:
    text = (
        f"apiVersion: {_API}\nkind: NutanixDatacenterConfig\nmetadata:\n  name: dc\n"
        "spec:\n  endpoint: prism.local\n  port: 0\n"
        f"---\napiVersion: {_API}\nkind: SnowIPPool\nmetadata:\n  name: pool\n"
        "spec:\n  pools:\n  - ipStart: 10.0.0.9\n    ipEnd: 10.0.0.2\n    gateway: 10.0.0.1\n"
        "    subnet: 10.0.0.0/24\n"
    )
    found = _yaml_messages(text)
    assert "<document>: no Cluster found in manifest" in found
    assert (
        "NutanixDatacenterConfig/dc: spec.port: NutanixDatacenterConfig port is not set or is empty"
        in found
    )
    assert (
        "SnowIPPool/pool: spec.pools[0].ipStart: SnowIPPool Pools[0].IPStart should be smaller than IPEnd"
        in found
    )
    unnamed = f"apiVersion: {_API}\nkind: TinkerbellDatacenterConfig\nmetadata: {{}}\nspec:\n  tinkerbellIP: 10.0.0.5\n"
    assert (
        "TinkerbellDatacenterConfig/(unnamed): metadata.name: TinkerbellDatacenterConfig: missing name"
        in _yaml_messages(unnamed)
    )
    valid_alone = f"apiVersion: {_API}\nkind: NutanixDatacenterConfig\nmetadata:\n  name: dc\nspec:\n  endpoint: prism.local\n  port: 9440\n"
    assert _yaml_messages(valid_alone) == ["<document>: no Cluster found in manifest"]
