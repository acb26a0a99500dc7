"""Forms as data, run by one engine."""

from handlers.forms.engine import FormEngine
from handlers.forms.steps import Choice, Confirm, Date, Figures, Form, Number, Option, Percent, Text

__all__ = ["FormEngine", "Form", "Choice", "Confirm", "Date", "Figures", "Number", "Option", "Percent", "Text"]
