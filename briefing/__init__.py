"""briefing: news articles in, sectioned daily situation reports out.

The public API, for cron wrappers and notebooks::

    import briefing
    articles = briefing.read_inputs(["seeds/bakhmut-2023.txt"])
    report = briefing.build_report(articles, briefing.Options(router="cues"))
    print(briefing.render(report, "md"))
"""

__version__ = "0.1.0"

from .articles import Article, read_inputs  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .daily import Outcome, run_daily  # noqa: E402
from .engine import make_engine  # noqa: E402
from .errors import BriefingError, ConfigError, DeliveryError, InputError, ModelError, StateError  # noqa: E402
from .fetch import FetchSettings, gather  # noqa: E402
from .mail import EmailSettings, SmtpSettings, compose, deliver, load_settings, send  # noqa: E402
from .render import FORMATS, render, write_reports  # noqa: E402
from .report import (  # noqa: E402
    Options,
    Report,
    ReportJob,
    build_report,
    build_reports,
    report_from_dict,
    report_to_dict,
)
from .sections import Section, available_sections  # noqa: E402

__all__ = [
    "Article",
    "BriefingError",
    "Config",
    "ConfigError",
    "DeliveryError",
    "EmailSettings",
    "FORMATS",
    "FetchSettings",
    "InputError",
    "ModelError",
    "Options",
    "Outcome",
    "Report",
    "ReportJob",
    "Section",
    "SmtpSettings",
    "StateError",
    "__version__",
    "available_sections",
    "build_report",
    "build_reports",
    "compose",
    "deliver",
    "gather",
    "load_config",
    "load_settings",
    "make_engine",
    "read_inputs",
    "render",
    "report_from_dict",
    "report_to_dict",
    "run_daily",
    "send",
    "write_reports",
]
