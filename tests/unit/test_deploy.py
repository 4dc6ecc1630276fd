"""deploy/ describes a Loket that starts: what compose, Kubernetes and the images give each
process is what it reads, with no secret in the repository (docs/deploy.md).

No container is built or run here: the manifests are checked against Kubernetes' API
schemas (kubernetes-validate ships them, so this works offline), the compose file and the
Dockerfiles are parsed.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from aiohttp import web
from pydantic import AliasChoices, SecretStr

from bot import health
from bot.launcher import ChildSpec, brain_processes
from bot.settings import ROOT, Settings

DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
KUBERNETES_VERSION = "1.33.0"  # the API the manifests are written for (docs/deploy.md)
RUN_BY_HAND = {"voice-download-job.yaml"}  # applied once, not by the kustomization
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET")
COMPILERS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|cc1)\b")
ENV_REFERENCE = re.compile(r"\$\{(\w+)\}")
COMPOSE_REFERENCE = re.compile(r"\$\{\w+(:\?[^}]*)?\}")  # ${NAME} or ${NAME:?message}
DEFAULTS = Settings(_env_file=None)
LOCKS = {"hub.Dockerfile": "requirements/hub.lock", "brain.Dockerfile": "requirements/brain.lock"}
MODEL_ONLY = "model"  # the stage of brain.Dockerfile that holds the trained model, no Python


# --- what the files say -------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    """deploy/compose.yaml, parsed."""
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def service(name: str) -> dict[str, Any]:
    """One service of the compose file."""
    return compose()["services"][name]


@cache
def kubernetes_objects() -> list[tuple[str, dict[str, Any]]]:
    """Every object of deploy/kubernetes/ with the name of its file."""
    return [
        (path.name, document)
        for path in sorted(KUBERNETES.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for document in yaml.safe_load_all(path.read_text())
    ]


def kubernetes_object(kind: str, name: str) -> dict[str, Any]:
    """The one object of that kind and name."""
    [found] = [
        o for _, o in kubernetes_objects() if (o["kind"], o["metadata"]["name"]) == (kind, name)
    ]
    return found


def container(deployment: str) -> dict[str, Any]:
    """The main container of a Deployment."""
    [main] = kubernetes_object("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    return main


def kubernetes_environment(deployment: str) -> dict[str, str]:
    """A Deployment's main container's variables: the ConfigMap's values, the Secret's keys,
    the pod's own fields and the values written in the manifest."""
    main = container(deployment)
    variables: dict[str, str] = {}
    for source in main.get("envFrom", []):
        variables |= kubernetes_object("ConfigMap", source["configMapRef"]["name"])["data"]
    for variable in main.get("env", []):
        variables[variable["name"]] = _variable_value(variable)
    return variables


def _variable_value(variable: dict[str, Any]) -> str:
    if "value" in variable:
        return variable["value"]
    if field_ref := variable["valueFrom"].get("fieldRef"):
        return f"field {field_ref['fieldPath']}"
    secret = variable["valueFrom"]["secretKeyRef"]
    return f"secret {secret['name']}/{secret['key']}"


@dataclass
class Stage:
    """One stage of a Dockerfile: what it starts from and its instructions."""

    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        """The arguments of every instruction of this keyword, in order."""
        return [arguments for word, arguments in self.instructions if word == keyword]


@cache
def dockerfile(name: str) -> dict[str, Stage]:
    """The stages of deploy/<name>, in order, by name (continued lines joined)."""
    text = (DEPLOY / name).read_text().replace("\\\n", " ")
    stages: dict[str, Stage] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            base, *alias = arguments.split(" AS ")
            stage = Stage(alias[0].strip() if alias else base, base.strip())
            stages[stage.name] = stage
        else:
            stage.instructions.append((keyword.upper(), arguments.strip()))
    return stages


def lineage(stages: dict[str, Stage], name: str) -> list[Stage]:
    """A stage and the stages of the same file it is built on."""
    chain = [stages[name]]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return chain


def image_targets() -> list[tuple[str, str]]:
    """(Dockerfile, stage) of every image that runs: compose's targets and each file's last."""
    targets = {(Path(s["build"]["dockerfile"]).name, s["build"].get("target")) for s in
               compose()["services"].values() if "build" in s}  # fmt: skip
    targets |= {(file, None) for file in ("hub.Dockerfile", "brain.Dockerfile")}
    return sorted((file, target or list(dockerfile(file))[-1]) for file, target in targets)


def environment_file() -> dict[str, str]:
    """deploy/.env.example: each variable, commented out or not, with its value."""
    found = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=(.*)$", (DEPLOY / ".env.example").read_text(), re.M)
    return dict(found)


@dataclass(frozen=True)
class Setting:
    """One of the hub's settings: the variables it is read from, and its default."""

    variables: tuple[str, ...]
    default: Any


def hub_settings() -> list[Setting]:
    """Every setting of the hub (bot/settings.py)."""
    found = []
    for name, setting in Settings.model_fields.items():
        alias = setting.validation_alias
        names = (
            tuple(alias.choices) if isinstance(alias, AliasChoices) else (f"LOKET_{name.upper()}",)
        )
        found.append(Setting(names, setting.default))
    return found


def endpoint_variables() -> set[str]:
    """The variables Rasa's deploy/rasa/endpoints.yml expands (Rasa refuses to start without)."""
    return set(ENV_REFERENCE.findall((DEPLOY / "rasa" / "endpoints.yml").read_text()))


def options(argv: list[str]) -> dict[str, str | None]:
    """A command line's options with their values (None for a flag)."""
    found: dict[str, str | None] = {}
    for index, word in enumerate(argv):
        if word.startswith("--"):
            following = argv[index + 1] if index + 1 < len(argv) else "--"
            found[word] = None if following.startswith("--") else following
    return found


def loket_run_brain(tmp_path: Path) -> dict[str, ChildSpec]:
    """The brain's processes as `loket run` starts them (verbose: without the quiet wrapper)."""
    settings = DEFAULTS.model_copy(update={"rasa_token": SecretStr("token")})
    return {spec.name: spec for spec in brain_processes(settings, tmp_path / "m.tar.gz", True)}


def port_of(url: str) -> int | None:
    """The port a URL names."""
    return urlsplit(url).port


# --- Kubernetes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    kubernetes_objects(),
    ids=lambda d: f"{d[0]}:{d[1]['kind']}/{d[1]['metadata']['name']}",
)
def test_every_kubernetes_object_is_valid_for_the_api_it_targets(document):
    _, manifest = document
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_the_validator_would_catch_a_misspelt_field():
    broken = yaml.safe_load(yaml.safe_dump(kubernetes_object("Deployment", "loket-hub")))
    broken["spec"]["replica"] = broken["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_applies_every_manifest_and_names_every_image():
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    manifests = {path.name for path in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests - RUN_BY_HAND
    images = {
        pod_container["image"]
        for _, o in kubernetes_objects()
        if o["kind"] in ("Deployment", "Job")
        for pod_container in [*o["spec"]["template"]["spec"].get("initContainers", []),
                              *o["spec"]["template"]["spec"]["containers"]]
    }  # fmt: skip
    assert images == {image["name"] for image in kustomization["images"]}


def test_the_hubs_probes_ask_its_real_health_routes():
    app = web.Application()
    health.setup(app)
    routes = {resource.canonical for resource in app.router.resources()}
    hub = container("loket-hub")
    assert hub["readinessProbe"]["httpGet"]["path"] == "/readyz" in routes
    assert hub["livenessProbe"]["httpGet"]["path"] == "/healthz" in routes


def test_every_pod_listens_where_its_clients_call_it():
    hub_environment = kubernetes_environment("loket-hub")
    expected = {
        "loket-hub": DEFAULTS.port,
        "loket-rasa": port_of(hub_environment["LOKET_RASA_URL"]),
        "loket-actions": port_of(hub_environment["LOKET_ACTION_SERVER_URL"]),
    }
    assert expected["loket-rasa"] == port_of(DEFAULTS.rasa_url)
    assert expected["loket-actions"] == port_of(DEFAULTS.action_server_url)
    for name, port in expected.items():
        [listening] = container(name)["ports"]
        assert listening["containerPort"] == port, name
        [exposed] = kubernetes_object("Service", name)["spec"]["ports"]
        assert exposed["port"] == port and exposed["targetPort"] == listening["name"], name
    assert int(hub_environment["LOKET_PORT"]) == DEFAULTS.port
    assert urlsplit(hub_environment["LOKET_RASA_URL"]).hostname == "loket-rasa"
    assert urlsplit(hub_environment["LOKET_ACTION_SERVER_URL"]).hostname == "loket-actions"


def test_every_container_has_cpu_and_memory_requests_and_limits():
    for _, o in kubernetes_objects():
        if o["kind"] not in ("Deployment", "Job"):
            continue
        pod = o["spec"]["template"]["spec"]
        for each in [*pod.get("initContainers", []), *pod["containers"]]:
            for bound in ("requests", "limits"):
                resources = set(each["resources"][bound])
                assert resources == {"cpu", "memory"}, (o["metadata"]["name"], bound)


def test_each_deployment_keeps_a_pod_through_disruptions_and_the_hub_scales_on_cpu():
    for _, deployment in kubernetes_objects():
        if deployment["kind"] != "Deployment":
            continue
        name, spec = deployment["metadata"]["name"], deployment["spec"]
        budget = kubernetes_object("PodDisruptionBudget", name)["spec"]
        assert (
            budget["selector"]["matchLabels"].items()
            <= spec["template"]["metadata"]["labels"].items()
        )
        assert 1 <= budget["minAvailable"] < spec["replicas"], name
    autoscaler = kubernetes_object("HorizontalPodAutoscaler", "loket-hub")
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == "loket-hub"
    [metric] = autoscaler["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


def test_rasa_pods_load_a_model_copied_in_by_an_init_container_and_never_train():
    pod = kubernetes_object("Deployment", "loket-rasa")["spec"]["template"]["spec"]
    [model_copy] = pod["initContainers"]
    copied_to = {m["name"]: m["mountPath"] for m in model_copy["volumeMounts"]}
    mounted = {m["name"]: m["mountPath"] for m in container("loket-rasa")["volumeMounts"]}
    model = Path(options(container("loket-rasa")["command"])["--model"])
    [volume] = [name for name, path in mounted.items() if model.parent == Path(path)]
    assert Path(copied_to[volume]) / model.name == Path(model_copy["command"][-1])
    every_command = [" ".join(c.get("command", [])) for c in [*pod["containers"], model_copy]]
    assert not any("train" in command for command in every_command)


def test_hub_replicas_share_the_database_redis_the_rasa_token_and_the_console_key():
    environment = kubernetes_environment("loket-hub")
    for variable in ("DATABASE_URL", "REDIS_URL", "LOKET_RASA_TOKEN", "LOKET_CONSOLE_SECRET"):
        assert environment[variable].startswith("secret loket/"), variable
    rasa = kubernetes_environment("loket-rasa")
    assert environment["LOKET_RASA_TOKEN"] == rasa["LOKET_RASA_TOKEN"]


def test_rasa_pods_get_every_variable_their_endpoints_expand():
    rasa = kubernetes_environment("loket-rasa")
    assert endpoint_variables() <= rasa.keys()
    assert rasa["LOKET_RASA_TRACKER_STORE"] == kubernetes_environment("loket-hub")["DATABASE_URL"]


def test_kubernetes_holds_no_secret_and_the_docs_say_how_to_make_each_one():
    assert not [o for _, o in kubernetes_objects() if o["kind"] == "Secret"]
    for key, value in kubernetes_object("ConfigMap", "loket-config")["data"].items():
        assert not any(word in key for word in SECRET_WORDS) or value == "", key
    guide = (ROOT / "docs" / "deploy.md").read_text()
    keys = {
        value.removeprefix("secret loket/")
        for name in ("loket-hub", "loket-rasa")
        for value in kubernetes_environment(name).values()
        if value.startswith("secret ")
    }
    assert keys, "no Secret is referenced"
    for key in keys:
        assert f"--from-literal={key}=" in guide, f"docs/deploy.md does not say how to set {key}"


# --- compose --------------------------------------------------------------------------------


def test_every_compose_service_has_a_health_check():
    for name, each in compose()["services"].items():
        assert each.get("healthcheck", {}).get("test"), name


def test_the_hub_starts_once_the_database_redis_and_the_brain_are_healthy():
    waits_for = service("hub")["depends_on"]
    for needed in ("postgres", "redis", "rasa", "actions"):
        assert waits_for[needed]["condition"] == "service_healthy", needed
    assert "/readyz" in " ".join(service("hub")["healthcheck"]["test"])


def test_the_compose_hub_gets_every_setting_a_container_needs():
    environment = service("hub")["environment"]
    assert urlsplit(environment["DATABASE_URL"]).scheme == "postgresql"
    assert urlsplit(environment["DATABASE_URL"]).hostname == "postgres"
    assert urlsplit(environment["REDIS_URL"]).hostname == "redis"
    assert environment["LOKET_HOST"] == "0.0.0.0"  # reachable from outside its container
    assert urlsplit(environment["LOKET_RASA_URL"]).hostname == "rasa"
    assert urlsplit(environment["LOKET_ACTION_SERVER_URL"]).hostname == "actions"
    assert environment["LOKET_RASA_TOKEN"] == service("rasa")["environment"]["LOKET_RASA_TOKEN"]
    assert service("hub")["env_file"] == [{"path": ".env", "required": True}]


def test_compose_ports_are_the_settings_defaults(tmp_path: Path):
    hub = service("hub")["environment"]
    assert int(hub["LOKET_PORT"]) == DEFAULTS.port
    assert [f"127.0.0.1:{DEFAULTS.port}:{DEFAULTS.port}"] == service("hub")["ports"]
    assert port_of(hub["LOKET_RASA_URL"]) == port_of(DEFAULTS.rasa_url)
    assert port_of(hub["LOKET_ACTION_SERVER_URL"]) == port_of(DEFAULTS.action_server_url)
    local = loket_run_brain(tmp_path)
    for name in ("rasa", "actions"):
        assert options(service(name)["command"])["--port"] == options(local[name].argv)["--port"]


def test_rasa_in_a_container_runs_what_loket_run_runs(tmp_path: Path):
    local = options(loket_run_brain(tmp_path)["rasa"].argv)
    for command in (service("rasa")["command"], container("loket-rasa")["command"]):
        assert command[:3] == ["python", "-m", "nlu.rasa_server"]
        contained = options(command)
        assert contained.keys() == local.keys()
        assert contained["--interface"] == "0.0.0.0"  # other containers reach it
        assert contained["--endpoints"] == "deploy/rasa/endpoints.yml"
        assert contained["--credentials"] == local["--credentials"]


def test_the_container_endpoints_are_loket_runs_with_always_a_redis_lock_store():
    contained = yaml.safe_load((DEPLOY / "rasa" / "endpoints.yml").read_text())
    local = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert contained.pop("lock_store")["type"] == "redis"
    assert local.pop("lock_store")["type"] == "${LOKET_RASA_LOCK_STORE}"  # Redis when shared
    assert contained == local


def test_compose_rasa_gets_every_variable_its_endpoints_expand():
    environment = service("rasa")["environment"]
    assert endpoint_variables() <= environment.keys()
    assert urlsplit(environment["LOKET_RASA_TRACKER_STORE"]).hostname == "postgres"
    assert environment["LOKET_RASA_LOCK_STORE_HOST"] == "redis"


def test_compose_commits_no_secret_value():
    for name, each in compose()["services"].items():
        for variable, value in each.get("environment", {}).items():
            if any(word in variable for word in SECRET_WORDS) and value:
                assert COMPOSE_REFERENCE.fullmatch(value), (name, variable)
            if "@" in value:  # a URL with credentials: its password is a reference too
                assert "${POSTGRES_PASSWORD}@" in value, (name, variable)


def test_the_example_environment_names_every_setting_and_holds_no_secret():
    example = environment_file()
    for setting in hub_settings():
        assert example.keys() & set(setting.variables), f"{setting.variables[0]} has no line"
    assert endpoint_variables() <= example.keys()
    secrets = [s.variables[0] for s in hub_settings() if isinstance(s.default, SecretStr)]
    for variable in [*secrets, "POSTGRES_PASSWORD"]:
        assert example[variable] == "", f"{variable} has a value in deploy/.env.example"
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/.env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0, "deploy/.env, where the secrets go, is not ignored by git"


def test_every_variable_given_to_the_hub_is_one_it_reads():
    known = {variable for setting in hub_settings() for variable in setting.variables}
    known |= endpoint_variables() | {"POSTGRES_PASSWORD"}
    given = environment_file().keys() | service("hub")["environment"].keys()
    given |= kubernetes_environment("loket-hub").keys()
    known |= {  # read by the manifest itself, in another variable: $(POD_IP)
        name
        for value in kubernetes_environment("loket-hub").values()
        for name in re.findall(r"\$\((\w+)\)", value)
    }
    assert given <= known, f"not read by anything: {sorted(given - known)}"


def test_each_hub_replica_tells_the_others_where_to_relay_its_calls_streams():
    environment = kubernetes_environment("loket-hub")
    [port] = container("loket-hub")["ports"]
    assert environment["POD_IP"] == "field status.podIP"
    expected = f"http://$(POD_IP):{port['containerPort']}"
    assert environment["LOKET_HUB_INTERNAL_URL"] == expected
    assert environment["LOKET_HOST"] == "0.0.0.0"  # reachable at the pod's address


# --- images ---------------------------------------------------------------------------------


@pytest.mark.parametrize("file", ["hub.Dockerfile", "brain.Dockerfile"])
def test_images_install_the_lock_files_of_make_run_in_a_builder_stage(file: str):
    stages = dockerfile(file)
    builder = stages["builder"]
    assert any(COMPILERS.search(run) for run in builder.arguments("RUN"))
    assert any(copy.startswith(LOCKS[file]) for copy in builder.arguments("COPY"))
    installs = " ".join(run for run in builder.arguments("RUN") if "pip install" in run)
    assert re.search(r"(--constraint|-r) \S*" + Path(LOCKS[file]).name, installs)
    python_images = [t for f, t in image_targets() if f == file and t != MODEL_ONLY]
    for target in python_images:
        copies = [copy for stage in lineage(stages, target) for copy in stage.arguments("COPY")]
        assert any(copy.startswith("--from=builder /opt/venv") for copy in copies), target


@pytest.mark.parametrize("image", image_targets(), ids=lambda image: f"{image[0]}:{image[1]}")
def test_images_run_as_a_user_without_compilers(image: tuple[str, str]):
    file, target = image
    chain = lineage(dockerfile(file), target)
    users = [user for stage in chain for user in reversed(stage.arguments("USER"))]
    assert users and users[0] not in ("root", "0"), f"{target} runs as root"
    for stage in chain:
        assert stage.name != "builder" and not COMPILERS.search(" ".join(stage.arguments("RUN")))


def test_the_brain_image_runs_as_loket_run_sets_the_brain_up(tmp_path: Path):
    rasa = loket_run_brain(tmp_path)["rasa"]
    variables = " ".join(dockerfile("brain.Dockerfile")["brain"].arguments("ENV"))
    assert "RASA_TELEMETRY_ENABLED=false" in variables
    assert f"SANIC_KEEP_ALIVE_TIMEOUT={rasa.env['SANIC_KEEP_ALIVE_TIMEOUT']}" in variables


def test_no_local_environment_model_or_secret_enters_an_image():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".venvs", "models", "var", ".env", "deploy/.env", ".git"):
        assert path in ignored, path
