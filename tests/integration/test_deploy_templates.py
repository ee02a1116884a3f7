"""The deployment's nginx files (deploy/nginx) are accepted by this machine's nginx and nchan, for one
host (channels in nginx's memory) and for several hosts (the coaching.d files that put channels in
the shared Redis). Paths under /etc, /run and /opt are moved into a scratch directory; nothing else
in the files is changed."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "nginx"
NCHAN = next((p for p in (Path("/usr/lib/nginx/modules/ngx_nchan_module.so"),
                          Path("/usr/share/nginx/modules/ngx_nchan_module.so")) if p.exists()), None)


def relocated(text: str, scratch: Path) -> str:
    return (text.replace("/etc/nginx/", str(scratch / "etc") + "/")
                .replace("/run/coaching/", str(scratch / "run") + "/")
                .replace("/opt/coaching/", str(scratch / "opt") + "/"))


def assemble(scratch: Path, several_hosts: bool) -> Path:
    for sub in ("snippets", "etc/coaching.d", "run/publish", "opt/public", "logs"):
        (scratch / sub).mkdir(parents=True, exist_ok=True)
    # The site includes snippets/coaching-fastcgi.conf relative to the main file, as in /etc/nginx.
    shutil.copy(ROOT / "nginx" / "fastcgi-coaching.conf.template", scratch / "snippets" / "coaching-fastcgi.conf")
    if several_hosts:
        for part in (DEPLOY / "coaching.d").glob("*.conf"):
            (scratch / "etc" / "coaching.d" / part.name).write_text(relocated(part.read_text(), scratch))
    for name in ("coaching-http.conf", "coaching-locations.conf"):
        (scratch / name).write_text(relocated((DEPLOY / name).read_text(), scratch))
    main = scratch / "nginx.conf"
    main.write_text(f"""load_module {NCHAN};
pid {scratch}/nginx.pid;
error_log {scratch}/logs/error.log;
events {{}}
http {{
    access_log off;
    include {scratch}/coaching-http.conf;
    server {{
        listen 127.0.0.1:18999;
        include {scratch}/coaching-locations.conf;
    }}
}}
""")
    return main


@pytest.mark.skipif(NCHAN is None, reason="the nchan module is not installed")
@pytest.mark.parametrize("several_hosts", [False, True], ids=["one host", "several hosts"])
def test_the_deploy_nginx_files_pass_nginx_t(tmp_path, several_hosts):
    main = assemble(tmp_path, several_hosts)
    result = subprocess.run(["nginx", "-t", "-c", str(main), "-p", str(tmp_path)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    config = subprocess.run(["nginx", "-T", "-c", str(main), "-p", str(tmp_path)],
                            capture_output=True, text=True, timeout=30).stdout
    passes = config.count("nchan_redis_pass coaching_nchan_redis;")
    assert (passes == 1 and "nchan_redis_server" in config) if several_hosts else ("nchan_redis_server" not in config)
    # The publisher location and /coaching/events both include the pass file.
    assert config.count("nchan-redis-pass*.conf") == 2
