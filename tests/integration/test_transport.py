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
