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
from .errors import BriefingError, ConfigError, DeliveryError, InputError, ModelError, StateError  # noqa: E402
from .fetch import FetchSettings, gather  # noqa: E402
from .mail import EmailSettings, SmtpSettings, compose, deliver, load_settings, send  # noqa: E402
from .render import FORMATS, render, write_reports  # noqa: E402
from .report import Options, Report, build_report, report_from_dict, report_to_dict  # noqa: E402
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
    "Section",
    "SmtpSettings",
    "StateError",
    "__version__",
    "available_sections",
    "build_report",
    "compose",
    "deliver",
    "gather",
    "load_config",
    "load_settings",
    "read_inputs",
    "render",
    "report_from_dict",
    "report_to_dict",
    "run_daily",
    "send",
    "write_reports",
]
