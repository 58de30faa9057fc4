"""Every configuration in nginx-conf-examples/ passes "nginx -t" with the
built module, so that no example rots.  The examples name ordinary
production paths; the test points them at files of its own."""

import glob
import os
import shutil
import subprocess
import tempfile

import omnitest

EXAMPLES = os.path.join(omnitest.ROOT, "nginx-conf-examples")


def check(path):
    tmp = tempfile.mkdtemp(prefix="omni-example-")
    failed = True
    try:
        conf = os.path.join(tmp, "conf")
        os.makedirs(conf)
        os.makedirs(os.path.join(tmp, "logs"))
        os.makedirs(os.path.join(tmp, "store"))
        os.makedirs(os.path.join(tmp, "cache"))
        shutil.copy("/etc/nginx/mime.types", conf)

        secret = os.path.join(conf, "omni.key")
        with open(secret, "w") as f:
            f.write(os.urandom(32).hex() + "\n")

        pem, key = os.path.join(conf, "shop.pem"), os.path.join(conf, "shop.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-subj", "/CN=shop.example", "-days", "1",
                        "-keyout", key, "-out", pem],
                       check=True, capture_output=True)

        paths = {
            "modules/ngx_http_omni_module.so": omnitest.MODULE,
            "/etc/nginx/omni.key": secret,
            "/etc/nginx/omni/campaigns.json":
                os.path.join(omnitest.ROOT, "demo", "campaigns.json"),
            "/etc/nginx/tls/shop.pem": pem,
            "/etc/nginx/tls/shop.key": key,
            "/var/lib/nginx/omni": os.path.join(tmp, "store"),
            "/var/cache/nginx": os.path.join(tmp, "cache"),
            "/var/log/nginx": os.path.join(tmp, "logs"),
            "/srv/shop": os.path.join(tmp, "html"),
        }

        with open(path) as f:
            text = f.read()
        for old, new in paths.items():
            text = text.replace(old, new)

        # the error log and pid of the test, not the system's
        text = "error_log %s/logs/error.log;\npid %s/nginx.pid;\n%s" % (
            tmp, tmp, text)

        target = os.path.join(conf, "nginx.conf")
        with open(target, "w") as f:
            f.write(text)

        env = {k: v for k, v in os.environ.items() if k != "NGINX"}
        env.update(omnitest.sanitizer_env(os.path.join(tmp, "san")))
        p = subprocess.run([omnitest.NGINX, "-t", "-p", tmp, "-c", target],
                           capture_output=True, text=True, env=env,
                           timeout=60)
        if p.returncode != 0 or "test is successful" not in p.stderr:
            raise omnitest.Failure("%s fails nginx -t:\n%s"
                                   % (os.path.basename(path), p.stderr))
        reports = omnitest.sanitizer_reports(os.path.join(tmp, "san"),
                                             p.stderr)
        if reports:
            raise omnitest.Failure("sanitizer reports:\n" + reports)
        failed = False
    finally:
        if not failed:
            shutil.rmtree(tmp, ignore_errors=True)


def _make(path):
    return lambda: check(path)


for _path in sorted(glob.glob(os.path.join(EXAMPLES, "*.conf"))):
    _name = "test_example_" + os.path.basename(_path)[:-5].replace("-", "_")
    globals()[_name] = _make(_path)
