"""Forms as data, run by one engine."""

from handlers.machinery.forms.engine import FormEngine
from handlers.machinery.forms.steps import Choice, Confirm, Date, Figures, Files, Form, Number, Option, Percent, Text

__all__ = ["FormEngine", "Form", "Choice", "Confirm", "Date", "Figures", "Files", "Number", "Option", "Percent", "Text"]
