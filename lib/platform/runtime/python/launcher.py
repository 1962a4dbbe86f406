# whiskflow's Python action launcher, run by the action proxy (lib/platform/runtime/actionloop) for
# the python:* kinds. It behaves like apache/openwhisk-runtime-python (its bin/compile check and
# lib/launcher.py) under the actionloop protocol: an acknowledgement line on fd 3, then for every
# line on stdin ({"value": ..., "activation_id": ..., ...}) the action's result as one line on fd 3;
# the other fields become __OW_* environment variables. An exception in main is printed to stderr
# and answered {"error": str(exception)}, as the runtime does.
#
# usage: launcher.py <action-dir> <main-function>
import glob
import importlib.util
import json
import os
import site
import sys
import traceback

DEVELOPER_ERROR = "__whiskflow_developer_error"


def fail_init(out, message):
    """The runtime's compile step fails /init with its output; this is that output."""
    out.write(json.dumps({DEVELOPER_ERROR: message}, ensure_ascii=False).encode("utf-8") + b"\n")
    out.flush()
    sys.exit(0)


def activate_virtualenv(action_dir):
    venv = os.path.join(action_dir, "virtualenv")
    if not os.path.isdir(venv):
        return True
    activate_this = os.path.join(venv, "bin", "activate_this.py")
    if os.path.exists(activate_this):
        with open(activate_this) as f:
            exec(compile(f.read(), activate_this, "exec"), dict(__file__=activate_this))
        return True
    # A virtualenv made by `python -m venv` has no activate_this.py: add its site-packages.
    packages = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages"))
    for folder in packages:
        site.addsitedir(folder)
    return len(packages) > 0


def load_main(action_dir, main_name, out):
    source = next((os.path.join(action_dir, name) for name in ("__main__.py", "exec") if os.path.isfile(os.path.join(action_dir, name))), None)
    if source is None:
        fail_init(out, "Zip file does not include main__")
    with open(source, "rb") as f:
        text = f.read()
    try:
        compile(text, source, "exec")
    except SyntaxError as error:
        fail_init(out, error.msg)
    spec = importlib.util.spec_from_file_location("main__", source)
    module = importlib.util.module_from_spec(spec)
    sys.modules["main__"] = module
    spec.loader.exec_module(module)
    if not hasattr(module, main_name):
        raise ImportError("cannot import name '%s' from 'main__' (%s)" % (main_name, source))
    return getattr(module, main_name)


def main():
    action_dir, main_name = sys.argv[1], sys.argv[2]
    out = os.fdopen(3, "wb")
    os.chdir(action_dir)
    sys.path.insert(0, action_dir)
    if not activate_virtualenv(action_dir):
        fail_init(out, "Invalid virtualenv. Zip file does not include 'activate_this.py'.")
    try:
        action = load_main(action_dir, main_name, out)
    except SystemExit:
        raise
    except BaseException:
        # As when the runtime's launcher fails its import: the process ends before acknowledging.
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        sys.exit(1)
    out.write(b'{"ok": true}\n')
    out.flush()
    env = os.environ
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        args = json.loads(line)
        payload = {}
        for key in args:
            if key == "value":
                payload = args["value"]
            else:
                env["__OW_%s" % key.upper()] = str(args[key])
        try:
            result = action(payload)
        except Exception as error:
            print(traceback.format_exc(), file=sys.stderr)
            result = {"error": str(error)}
        encoded = json.dumps(result, ensure_ascii=False).encode("utf-8")
        sys.stdout.flush()
        sys.stderr.flush()
        out.write(encoded + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
