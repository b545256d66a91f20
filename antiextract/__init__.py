"""antiextract: ASGI middleware that protects LLM APIs from extraction by distillation."""

from .request.middleware import AntiExtractMiddleware
from .settings import Settings, SettingsError, load_settings

__all__ = ["AntiExtractMiddleware", "Settings", "SettingsError", "load_settings"]
__version__ = "0.1.0"
