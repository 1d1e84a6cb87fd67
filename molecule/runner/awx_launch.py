"""Prepare an ansible-runner private data directory the way AWX 24.6 launches a job template.

Read from ansible/awx (docs: /work/shared/reference/awx.md):
  * every survey question's default goes into the job's extra vars (env/extravars) unless the launch
    answers it (SurveyJobTemplateMixin._update_unified_job_kwargs);
  * each credential's extra_vars injector is rendered with the credential's non-empty inputs in a
    sandboxed Jinja environment, written to a file under env/ and passed as `-e @file`, before the
    job's own extra vars (CredentialType.inject_credential; ansible-runner puts env/cmdline first);
  * the Machine credential is the SSH key (env/ssh_key);
  * the job template's tags are the job's --tags.

The survey comes from the collection's own generator and job template list (playbooks/awx/), so the
job gets exactly what playbooks/awx.yml would configure. Usage:

  awx_launch.py --source CHECKOUT --data DIR --template deploy --inventory FILE --ssh-key FILE
                [--credential tls=inputs.yml] [--answer var=value] [--envvar NAME=value] [--tags TAGS]
"""

import argparse
import importlib.util
import json
import shutil
from pathlib import Path

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment


class UnsafeLoader(yaml.SafeLoader):
    """Reads Ansible's !unsafe tag as the plain string it marks (AWX's own templates)."""


UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path):
    return yaml.load(Path(path).read_text(), Loader=UnsafeLoader)  # noqa: S506 (a SafeLoader)


def survey_module(source):
    spec = importlib.util.spec_from_file_location("argspec_survey", source / "plugins/module_utils/argspec_survey.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--inventory", type=Path, required=True)
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--ssh-key", type=Path, required=True)
    parser.add_argument("--credential", action="append", default=[])
    parser.add_argument("--answer", action="append", default=[])
    parser.add_argument("--envvar", action="append", default=[])
    parser.add_argument("--tags", default="", help="the launch's answer to 'tags' (ask_tags_on_launch)")
    args = parser.parse_args()
    src = args.source

    templates = {t["key"]: t for t in load(src / "playbooks/awx/job_templates.yml")["awx_job_templates"]}
    ctypes = {c["key"]: c for c in load(src / "playbooks/awx/credential_types.yml")["awx_credential_types"]}
    template = templates[args.template]
    specs = [load(p) for p in sorted(src.glob("roles/*/meta/argument_specs.yml"))]
    specs.append(load(src / "playbooks/awx/surface_report_specs.yml"))
    inventory = load(args.inventory)
    survey_lib = survey_module(src)
    survey = survey_lib.survey_spec(
        specs,
        template["survey"],
        template["name"],
        entry_point="main",
        inventory_variables=sorted(survey_lib.inventory_variables(inventory.get("all"))),
    )

    if args.data.exists():
        shutil.rmtree(args.data)
    for sub in ("env", "inventory"):
        (args.data / sub).mkdir(parents=True)
    shutil.copytree(args.project, args.data / "project")
    shutil.copy(args.inventory, args.data / "inventory" / "hosts.yml")

    # Every question's default, then the launch's answers over them.
    extravars = {q["variable"]: q["default"] for q in survey["spec"] if "default" in q}
    for item in args.answer:
        name, value = item.split("=", 1)
        extravars[name] = value  # as the form sends a choice: text
    (args.data / "env" / "extravars").write_text(yaml.safe_dump(extravars))

    cmdline = []
    sandbox = ImmutableSandboxedEnvironment()
    for item in args.credential:
        key, inputs_file = item.split("=", 1)
        inputs = {k: v for k, v in (load(inputs_file) or {}).items() if v not in ("", None)}  # AWX: non-empty only
        injected = {
            var: sandbox.from_string(tmpl).render(**inputs)
            for var, tmpl in ctypes[key]["injectors"]["extra_vars"].items()
        }
        path = args.data / "env" / f"credential_{key}"
        path.write_text(yaml.safe_dump(injected))
        path.chmod(0o440)
        cmdline += ["-e", f"@{path}"]
    tags = args.tags or template["job_tags"]
    if tags:
        cmdline += ["--tags", tags]
    if cmdline:
        (args.data / "env" / "cmdline").write_text(" ".join(cmdline))
    envvars = dict(item.split("=", 1) for item in args.envvar)
    (args.data / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    key = args.data / "env" / "ssh_key"
    key.write_text(args.ssh_key.read_text())
    key.chmod(0o600)
    (args.data / "survey.json").write_text(json.dumps(survey, indent=1))
    print(json.dumps({"playbook": Path(template["playbook"]).name, "questions": len(survey["spec"])}))


if __name__ == "__main__":
    main()
