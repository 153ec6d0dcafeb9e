"""Scheduling the daily job: the crontab line (printed, installed, removed) and systemd units.

The line runs the job with absolute paths only: the interpreter of the environment briefing runs
in (``sys.executable``, not resolved, so a virtual environment stays selected), the config file,
and a log file in the output folder. cron's bare environment (no profile, PATH=/usr/bin:/bin, the
home folder as working directory) is all it needs. ``-P`` keeps the working directory off
``sys.path``, so a ``briefing`` folder there cannot shadow the installed package.

An installed line ends with a marker naming the config file; installing again replaces that line,
so ``--install`` is idempotent and several configs can each have their own line.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .config import Config
from .errors import ConfigError

MARKER = "# briefing daily:"
CRON_SPECIALS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_FIELD = re.compile(r"[0-9A-Za-z*,/-]+")
_NAMES = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def python() -> str:
    """The interpreter of the current environment, as an absolute path (symlinks kept)."""
    return os.path.abspath(sys.executable)


def schedule_of(config: Config) -> str:
    """The cron expression: ``schedule.cron`` when set, else daily at ``schedule.time``."""
    if config.schedule_cron:
        return check_expression(config.schedule_cron)
    hour, minute = config.schedule_time.split(":")
    return f"{int(minute)} {int(hour)} * * *"


def check_expression(expression: str) -> str:
    """A cron schedule of five fields (or @daily and the like), checked; ConfigError when it is not one."""
    text = " ".join(expression.split())
    fields = text.split(" ")
    if text in CRON_SPECIALS:
        return text
    if len(fields) != 5 or not all(_FIELD.fullmatch(f) for f in fields):
        raise ConfigError(
            f"schedule {expression!r} is not a cron expression",
            "give five fields: minute hour day-of-month month day-of-week, e.g. '30 6 * * *'",
        )
    return text


def _config_path(config: Config) -> Path:
    if config.path is None:
        raise ConfigError("the job needs a config file to schedule", "create one with: briefing init FOLDER")
    return config.path


def job_command(config: Config) -> list[str]:
    """The job as an argument list: interpreter, module, config."""
    return [python(), "-P", "-m", "briefing", "daily", "--config", str(_config_path(config)), "--quiet"]


def cron_line(config: Config) -> str:
    """The crontab line: schedule, the job with absolute paths, its output appended to cron.log.

    The output folder is created now, so the line's redirect works from its first run.
    """
    try:
        config.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the output folder {config.output}: {exc.strerror}") from None
    command = " ".join(shlex.quote(part) for part in job_command(config))
    command += f" >> {shlex.quote(str(config.cron_log))} 2>&1"
    line = f"{schedule_of(config)} {command} {MARKER} {_config_path(config)}"
    if "\n" in line:
        raise ConfigError("a path holds a line break; cron cannot run it", "move the config or output folder")
    return line.replace("%", r"\%")  # cron turns a bare % into a line break


def _is_ours(line: str, config: Config) -> bool:
    return line.rstrip().endswith(f"{MARKER} {_config_path(config)}".replace("%", r"\%"))


def _crontab() -> str:
    found = shutil.which("crontab") or next(
        (p for p in ("/usr/bin/crontab", "/bin/crontab") if os.access(p, os.X_OK)), None
    )
    if not found:
        raise ConfigError("crontab not found", "install cron (apt-get install cron), or use: briefing cron --systemd")
    return found


def read_crontab() -> str:
    """The user's crontab ('' when there is none)."""
    result = subprocess.run([_crontab(), "-l"], capture_output=True, text=True)
    if result.returncode != 0:
        if "no crontab" in result.stderr.lower():
            return ""
        raise ConfigError(f"crontab -l failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


def write_crontab(text: str) -> None:
    result = subprocess.run([_crontab(), "-"], input=text, capture_output=True, text=True)
    if result.returncode != 0:
        raise ConfigError(f"crontab could not be installed: {result.stderr.strip() or result.returncode}")


def install(config: Config) -> str:
    """Add the job's line to the user's crontab, replacing an earlier one for the same config."""
    line = cron_line(config)
    current = read_crontab()
    lines = current.splitlines()
    if line in lines:
        return f"already installed in your crontab: {line}"
    kept = [existing for existing in lines if not _is_ours(existing, config)]
    replaced = len(kept) != len(lines)
    write_crontab("\n".join([*kept, line]) + "\n")
    return f"{'replaced' if replaced else 'installed'} in your crontab: {line}"


def remove(config: Config) -> str:
    """Take the job's line out of the user's crontab."""
    lines = read_crontab().splitlines()
    kept = [existing for existing in lines if not _is_ours(existing, config)]
    if len(kept) == len(lines):
        return f"no briefing line for {_config_path(config)} in your crontab"
    write_crontab("\n".join(kept) + "\n" if kept else "")
    return f"removed the briefing line for {_config_path(config)} from your crontab"


# --------------------------------------------------------------------------- systemd


def on_calendar(expression: str) -> str:
    """A cron expression as a systemd OnCalendar= value, for the forms that translate exactly."""
    specials = {"@yearly": "yearly", "@annually": "yearly", "@monthly": "monthly", "@weekly": "weekly",
                "@daily": "daily", "@midnight": "daily", "@hourly": "hourly"}
    if expression in specials:
        return specials[expression]
    minute, hour, dom, month, dow = expression.split(" ")
    if dom != "*" and dow != "*":
        raise ConfigError(
            f"schedule {expression!r} restricts both day of month and day of week, which cron ORs and systemd ANDs",
            "write the OnCalendar= line by hand",
        )

    def field(value: str, first: int, width: int) -> str:
        parts = []
        for part in value.split(","):
            match = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", part)
            if not match:
                raise ConfigError(f"schedule field {value!r} cannot be turned into a systemd calendar",
                                  "use numbers, ranges, lists and steps")
            start, end, step = match.groups()
            if start == "*":
                text = "*" if not step else f"{first:0{width}d}/{step}"
            else:
                text = f"{int(start):0{width}d}"
                if end:
                    text += f"..{int(end):0{width}d}"
                if step:
                    if end:
                        raise ConfigError(f"schedule field {value!r}: a stepped range has no systemd form",
                                          "list the values instead")
                    text += f"/{step}"
            parts.append(text)
        return ",".join(parts)

    def weekdays(value: str) -> str:
        out = []
        for part in value.lower().split(","):
            match = re.fullmatch(r"(\w+)(?:-(\w+))?", part)
            if not match:
                raise ConfigError(f"day-of-week field {value!r} cannot be turned into a systemd calendar")

            def day(token: str) -> str:
                number = _NAMES.get(token[:3]) if not token.isdigit() else int(token)
                if number is None or not 0 <= number <= 7:
                    raise ConfigError(f"day-of-week {token!r} is not a day")
                return _DAYS[number]

            start, end = match.groups()
            out.append(f"{day(start)}..{day(end)}" if end else day(start))
        return ",".join(out)

    date = f"*-{field(month, 1, 2)}-{field(dom, 1, 2)}"
    clock = f"{field(hour, 0, 2)}:{field(minute, 0, 2)}:00"
    prefix = f"{weekdays(dow)} " if dow != "*" else ""
    return f"{prefix}{date} {clock}"


def _systemd_quote(arg: str) -> str:
    arg = arg.replace("%", "%%").replace("$", "$$")
    if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_units(config: Config) -> str:
    """A user service and timer that run the job, for hosts without cron, with how to enable them."""
    path = _config_path(config)
    calendar = on_calendar(schedule_of(config))
    exec_start = " ".join(_systemd_quote(part) for part in job_command(config))
    return f"""\
# Save as ~/.config/systemd/user/briefing-daily.service and ~/.config/systemd/user/briefing-daily.timer,
# then: systemctl --user daemon-reload && systemctl --user enable --now briefing-daily.timer
# (and once, so it runs while you are logged out: loginctl enable-linger "$USER").

# --- briefing-daily.service
[Unit]
Description=briefing daily situation report ({_systemd_quote(str(path))})

[Service]
Type=oneshot
ExecStart={exec_start}
# 10: nothing new, 12: another run was in progress. Neither is a failure.
SuccessExitStatus=10 12

# --- briefing-daily.timer
[Unit]
Description=Run briefing daily ({calendar})

[Timer]
OnCalendar={calendar}
Persistent=true

[Install]
WantedBy=timers.target
"""
