"""The FastCGI transport's limits, read from the running app process."""

from pathlib import Path


def app_pid(stack) -> int:
    return int((Path(stack.env["COACHING_RUNTIME"]) / "app.pid").read_text().strip())


def test_app_cannot_open_a_descriptor_libfcgi_would_select_on_unsafely(api, stack):
    # libfcgi closes connections with select(), which cannot take a descriptor of 1024 or more.
    assert api.get("/coaching/health").status_code == 200
    limits = (Path("/proc") / str(app_pid(stack)) / "limits").read_text().splitlines()
    soft = next(line for line in limits if line.startswith("Max open files")).split()[3]
    assert soft != "unlimited" and int(soft) <= 1024


def test_connections_closed_by_nginx_are_released_by_the_app(api, stack):
    import subprocess

    fds = Path("/proc") / str(app_pid(stack)) / "fd"
    for _ in range(50):
        assert api.get("/coaching/health").status_code == 200
    runtime = Path(stack.env["COACHING_RUNTIME"])
    # A reload replaces nginx's workers; the old ones close their kept connections to the app.
    subprocess.run(["nginx", "-c", str(runtime / "nginx.conf"), "-p", str(runtime), "-s", "reload"], check=True)
    import time

    deadline = time.monotonic() + 10
    while True:
        open_sockets = sum(1 for fd in fds.iterdir() if fd.is_symlink() and "socket" in str(fd.readlink()))
        if open_sockets <= 40 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # Listening socket, database and publisher connections, and a few kept connections at most.
    assert open_sockets <= 40
    assert api.get("/coaching/health").status_code == 200
